import { z } from 'zod';
import { detectorNames, incidentChanges, incidentStates, severities, tiers } from './names.js';
import type { DetectorName, IncidentChange, IncidentState, Severity, Tier } from './names.js';
import { compact, optional, text, timestamp } from './fields.js';
import { oneOf, subjectSchema, type Subject } from './finding.js';

/** Incident v1: one state change of an incident, as the notifier publishes it. */
export interface Incident {
  id: string;
  version: number;
  change: IncidentChange;
  state: IncidentState;
  tier: Tier;
  groupKey: string;
  detector: DetectorName;
  severity: Severity;
  api: string;
  route?: string;
  subject: Subject;
  title: string;
  reason?: string;
  findingCount: number;
  lastFindingId: string;
  findingIds: string[];
  firstSeenAt: number;
  lastSeenAt: number;
  changedAt: number;
  acknowledgedBy?: string;
}

export const incidentFields = {
  id: text(1, 256),
  version: z.number({ invalid_type_error: 'expected an integer' }).int('expected an integer').min(1, 'must be 1 or more'),
  change: oneOf(incidentChanges),
  state: oneOf(incidentStates),
  tier: oneOf(tiers),
  groupKey: text(1, 1024),
  detector: oneOf(detectorNames),
  severity: oneOf(severities),
  api: text(1, 256),
  route: optional(text(1, 8192)),
  subject: subjectSchema,
  title: text(1, 200),
  reason: optional(text(0, 1000)),
  findingCount: z.number({ invalid_type_error: 'expected an integer' }).int('expected an integer').min(1, 'must be 1 or more').max(2147483647),
  lastFindingId: text(1, 256),
  findingIds: z.array(text(1, 256)).max(50, 'must not have more than 50 ids'),
  firstSeenAt: timestamp(),
  lastSeenAt: timestamp(),
  changedAt: timestamp(),
  acknowledgedBy: optional(text(0, 256)),
};

export const incidentSchema: z.ZodType<Incident, z.ZodTypeDef, unknown> = z
  .object(incidentFields)
  .transform((v) => compact(v) as Incident);
