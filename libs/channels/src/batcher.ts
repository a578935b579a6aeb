export interface BatcherOptions<T, R> {
  /** How long the first item of a batch waits for company. */
  lingerMs: number;
  maxCount: number;
  /** A batch is sent before an item would take it past this (an item larger than it goes alone). */
  maxBytes: number;
  /** Sends one batch; answers one result per item, in order. Must not throw. */
  flush(items: T[]): Promise<R[]>;
}

interface Pending<T, R> {
  item: T;
  bytes: number;
  resolve(result: R): void;
}

/**
 * Collects items that arrive within a short linger into one batch, capped in
 * count and bytes; each `add` resolves with its own item's result once its
 * batch has been sent.
 */
export function createBatcher<T, R>(o: BatcherOptions<T, R>) {
  let pending: Pending<T, R>[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;

  function flushNow(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    bytes = 0;
    if (batch.length === 0) return;
    void o.flush(batch.map((p) => p.item)).then((results) => batch.forEach((p, i) => p.resolve(results[i]!)));
  }

  return {
    add(item: T, size: number): Promise<R> {
      if (pending.length > 0 && bytes + size > o.maxBytes) flushNow();
      return new Promise<R>((resolve) => {
        pending.push({ item, bytes: size, resolve });
        bytes += size;
        if (pending.length >= o.maxCount || bytes >= o.maxBytes) flushNow();
        else timer ??= setTimeout(flushNow, o.lingerMs);
      });
    },
  };
}
