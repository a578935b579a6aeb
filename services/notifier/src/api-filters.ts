import { detectorNames, incidentStates, severities, tiers } from '@vigil/contracts';
import type { IncidentState } from '@vigil/notifier-core';
import { HttpError } from './api-http.js';
import { apiName, oneOfParam as oneOf, singleParam, timeParam as time } from './api-params.js';

/** What GET /incidents may be narrowed by; every field is optional and they combine with AND. */
export interface IncidentFilter {
  state?: string;
  tier?: string;
  severity?: string;
  detector?: string;
  api?: string;
  /** Incidents seen at or after this time (their lastSeenAt, epoch ms). */
  since?: number;
  /** Incidents seen at or before this time (their firstSeenAt, epoch ms). */
  until?: number;
  limit: number;
}

/** Reads and checks GET /incidents' query: state, tier, severity, detector, api, since, until, limit. */
export function incidentFilter(query: URLSearchParams): IncidentFilter {
  const limitText = singleParam(query, 'limit') ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
  const api = singleParam(query, 'api');
  if (api !== undefined) apiName(api);
  const filter: IncidentFilter = {
    state: oneOf(query, 'state', incidentStates),
    tier: oneOf(query, 'tier', tiers),
    severity: oneOf(query, 'severity', severities),
    detector: oneOf(query, 'detector', detectorNames),
    api,
    since: time(query, 'since'),
    until: time(query, 'until'),
    limit,
  };
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) throw new HttpError(400, 'since must not be after until');
  return filter;
}

/** True when any filter beyond the limit is set (the store is then read deeper than the limit). */
export function narrows(f: IncidentFilter): boolean {
  return [f.state, f.tier, f.severity, f.detector, f.api, f.since, f.until].some((v) => v !== undefined);
}

/** Whether an incident passes the filter; the time range keeps incidents whose seen span overlaps it. */
export function matchesFilter(s: IncidentState, f: IncidentFilter): boolean {
  if (f.state !== undefined && s.state !== f.state) return false;
  if (f.tier !== undefined && s.tier !== f.tier) return false;
  if (f.severity !== undefined && s.severity !== f.severity) return false;
  if (f.detector !== undefined && s.detector !== f.detector) return false;
  if (f.api !== undefined && s.api !== f.api) return false;
  if (f.since !== undefined && s.lastSeenAt < f.since) return false;
  if (f.until !== undefined && s.firstSeenAt > f.until) return false;
  return true;
}
