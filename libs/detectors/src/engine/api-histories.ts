import { BoundedMap } from '../lru.js';
import type { ApiMinute } from '../types.js';

/** Closed minutes kept per api for windows and the minutes' own spread. */
export const API_HISTORY_MINUTES = 240;

/** Each api's closed minutes of the last hours, kept here (process-local) for windows of several minutes. */
export class ApiHistories {
  readonly byApi = new BoundedMap<string, ApiMinute[]>(1_000);

  add(id: string, minutes: readonly ApiMinute[]): ApiMinute[] {
    const history = [...(this.byApi.get(id) ?? []), ...minutes].slice(-API_HISTORY_MINUTES);
    this.byApi.set(id, history);
    return history;
  }
}
