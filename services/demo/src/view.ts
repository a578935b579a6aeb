import type { ApiTransaction } from '@vigil/contracts';
import { formatRfc3339 } from '@vigil/contracts';

/** Terminal rendering for the demo: colour when stdout is a terminal, plain text otherwise. */
export function createView(colour: boolean) {
  const paint = (code: number) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = paint(1);
  const dim = paint(2);
  const green = paint(32);
  const yellow = paint(33);
  const red = paint(31);
  const cyan = paint(36);
  return {
    heading: (s: string) => `\n${bold(s)}`,
    step: (s: string) => `${cyan('›')} ${s}`,
    ok: (s: string) => `${green('✓')} ${s}`,
    bad: (s: string) => `${red('✗')} ${s}`,
    event(e: ApiTransaction, meta: { encoding: string; partition: number; offset: string; key: string }): string {
      const status = e.status >= 500 ? red(String(e.status)) : e.status >= 400 ? yellow(String(e.status)) : green(String(e.status));
      const who = e.principal ?? e.clientIp ?? e.clientId ?? '-';
      return [
        `${dim(`p${meta.partition}@${meta.offset}`)} ${meta.encoding === 'avro' ? cyan('avro') : yellow('json')}`,
        `${formatRfc3339(e.timestamp)} ${e.direction.padEnd(8)} ${e.api} ${bold(e.method)} ${e.path} → ${status} ${e.latencyMs.toFixed(1)} ms`,
        dim(`key=${meta.key} who=${who}${e.route ? ` route=${e.route}` : ''}`),
      ].join('  ');
    },
  };
}
