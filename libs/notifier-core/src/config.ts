import { z } from 'zod';
import { ConfigError } from '@vigil/errors';
import { detectorNames, severities, tiers } from '@vigil/contracts';

/**
 * The escalation config users edit (YAML or JSON): which findings reach which
 * tier, through which channels, with which grouping, repeat and ack timeouts.
 * Validated here; every problem is reported with the path of its key.
 */

const duration = z.number().int().min(0);
const detector = z.enum(detectorNames);
const severity = z.enum(severities);
const tier = z.enum(tiers);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const channelName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'expected a channel name: lowercase letters, digits, _ or -');

export const matcherSchema = z
  .object({
    detector: z.array(detector).min(1).optional(),
    severity: z.array(severity).min(1).optional(),
    api: z.array(z.string().min(1)).min(1).optional(),
    /** Route templates; a trailing `*` matches any suffix. */
    route: z.array(z.string().min(1)).min(1).optional(),
    /** Subject kinds (principal, ip, client, route, api). */
    subjectKind: z.array(z.enum(['principal', 'ip', 'client', 'route', 'api'])).min(1).optional(),
  })
  .strict();

export const escalationConfigSchema = z
  .object({
    /** Fields whose values make a finding's group key: findings with the same key form one incident. */
    groupBy: z.array(z.enum(['detector', 'api', 'route', 'subject'])).min(1).default(['detector', 'api', 'subject']),
    /** First matching rule sets the starting tier (and may mute: tier log). */
    rules: z.array(z.object({ name: z.string().min(1).optional(), match: matcherSchema, tier }).strict()).default([]),
    notify: z
      .object({
        /** `findings` findings of one incident within `withinMs` make a consistent issue. */
        findings: z.number().int().min(1).default(3),
        withinMs: duration.default(600_000),
        /** A finding of this severity or above notifies at once. */
        minSeverity: severity.default('high'),
      })
      .strict()
      .default({}),
    wakeUp: z
      .object({
        severities: z.array(severity).default(['critical']),
        detectors: z.array(detector).default(['known_threat']),
        /** A notify incident still unacknowledged after this long wakes someone up (0 = never). */
        ackTimeoutMs: duration.default(900_000),
      })
      .strict()
      .default({}),
    /** While an incident stays open and unacknowledged, its tier's channels are reminded this often (0 = never). */
    repeatIntervalMs: duration.default(3_600_000),
    /** An incident with no new finding for this long resolves. */
    resolveAfterMs: duration.min(60_000).default(1_800_000),
    /** Hours when notify is held (wake up never is); times in UTC unless `utcOffsetMinutes` is set. */
    quietHours: z
      .object({ from: hhmm, to: hhmm, utcOffsetMinutes: z.number().int().min(-840).max(840).default(0), days: z.array(z.number().int().min(0).max(6)).optional() })
      .strict()
      .optional(),
    /** Channels per tier; `log` is always on and needs no entry. */
    tiers: z
      .object({ log: z.array(channelName).default([]), notify: z.array(channelName).default([]), wake_up: z.array(channelName).default([]) })
      .strict()
      .default({}),
    /** Per channel, notifications per minute before the rest is sent as digests. */
    rateLimitPerMinute: z.number().int().min(1).default(10),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.notify.withinMs === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['notify', 'withinMs'], message: 'must be more than 0' });
    if (c.wakeUp.ackTimeoutMs > 0 && c.wakeUp.ackTimeoutMs < 60_000) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['wakeUp', 'ackTimeoutMs'], message: 'must be 0 (never) or at least 60000 ms' });
  });

export type EscalationConfig = z.output<typeof escalationConfigSchema>;
export type Matcher = z.output<typeof matcherSchema>;

/** Validates an escalation config document; throws a ConfigError listing every bad key by its path. */
export function parseEscalationConfig(doc: unknown, source = 'escalation config'): EscalationConfig {
  const result = escalationConfigSchema.safeParse(doc ?? {});
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => ({ source: `${source} at ${i.path.join('.') || '(top level)'}`, path: i.path.join('.'), message: i.message })));
}
