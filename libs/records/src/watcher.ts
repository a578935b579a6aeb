import type { Expiring, ExpiringRecordStore } from './expiring-store.js';

export interface RecordWatcherOptions<T extends Expiring> {
  store: ExpiringRecordStore<T>;
  /** How often the version is compared (wall clock). */
  refreshMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
  onChange?: (count: number) => void;
}

/**
 * Keeps a local copy of a store's live records: one GET of the version per
 * refresh, one HGETALL when it changed. Timer-driven, so the per-batch path
 * costs no Redis round trip; a new verdict or silence takes effect within
 * `refreshMs` (or at once after `refresh()`).
 */
export class RecordWatcher<T extends Expiring> {
  private list: T[] = [];
  private version = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly o: RecordWatcherOptions<T>) {
    this.refreshMs = o.refreshMs ?? 2000;
    this.now = o.now ?? Date.now;
  }

  /** Loads once, then refreshes on a timer until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.o.onError?.(err));
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    const version = await this.o.store.currentVersion();
    if (version === this.version) return;
    this.list = await this.o.store.list(this.now());
    this.version = version;
    this.o.onChange?.(this.list.length);
  }

  /** The first live record that satisfies `test`, if any. */
  find(test: (record: T, now: number) => boolean): T | undefined {
    if (this.list.length === 0) return undefined;
    const now = this.now();
    return this.list.find((r) => r.expiresAt > now && test(r, now));
  }

  get size(): number {
    return this.list.length;
  }
}
