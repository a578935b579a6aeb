/**
 * Reports problems one line each up to `limit`, then says once that the rest are only counted (the
 * command's summary has the count): a file or topic of junk does not flood the terminal.
 */
export function cappedReport(err: (line: string) => void, limit: number, more: string): (count: number, line: string) => void {
  return (count, line) => {
    if (count <= limit) err(line);
    else if (count === limit + 1) err(more);
  };
}
