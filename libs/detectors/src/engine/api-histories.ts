import { BoundedMap } from '../lru.js';
import type { ApiMinute } from '../types.js';

/** Closed minutes kept per api for windows and the minutes' own spread. */
export const API_HISTORY_MINUTES = 240;

/** Each api's closed minutes of the last hours, kept here (process-local) for windows of several minutes. */
export class ApiHistories {
  readonly byApi = new BoundedMap<string, ApiMinute[]>(1_000);

  /** Appends closed minutes; a minute closed again (its batch failed and was fetched again) replaces the first closing. */
  add(id: string, minutes: readonly ApiMinute[]): ApiMinute[] {
    const from = minutes[0]?.minute ?? Infinity;
    const kept = (this.byApi.get(id) ?? []).filter((m) => m.minute < from);
    const history = [...kept, ...minutes].slice(-API_HISTORY_MINUTES);
    this.byApi.set(id, history);
    return history;
  }
}
