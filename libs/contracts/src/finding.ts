import { z } from 'zod';
import { detectorNames, severities, subjectKinds, type DetectorName, type Severity, type SubjectKind } from './names.js';
import { compact, evidenceMap, optional, text, timestamp } from './fields.js';

export interface Subject {
  kind: SubjectKind;
  value: string;
}

/** Finding v1 in memory (timestamps in epoch ms). */
export interface Finding {
  id: string;
  detector: DetectorName;
  severity: Severity;
  confidence: number;
  api: string;
  route?: string;
  subject: Subject;
  windowStart: number;
  windowEnd: number;
  detectedAt: number;
  title: string;
  description: string;
  evidence: Record<string, number | string>;
  owasp?: string;
  eventIds: string[];
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { errorMap: () => ({ message: `expected one of ${values.join(', ')}` }) });

export const subjectSchema = z.object({ kind: oneOf(subjectKinds), value: text(1, 8192) });

export const findingFields = {
  id: text(1, 256),
  detector: oneOf(detectorNames),
  severity: oneOf(severities),
  confidence: z.number({ invalid_type_error: 'expected a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
  api: text(1, 256),
  route: optional(text(1, 8192)),
  subject: subjectSchema,
  windowStart: timestamp(),
  windowEnd: timestamp(),
  detectedAt: timestamp(),
  title: text(1, 200),
  description: text(0, 4000),
  evidence: evidenceMap(),
  owasp: optional(z.string({ invalid_type_error: 'expected a string' }).regex(/^API([1-9]|10):2023$/, 'expected an OWASP API Top 10 2023 id such as API1:2023')),
  eventIds: z.array(text(1, 256)).max(50, 'must not have more than 50 ids'),
};

export const findingSchema: z.ZodType<Finding, z.ZodTypeDef, unknown> = z
  .object(findingFields)
  .transform((v) => compact(v) as Finding);

export { oneOf };
