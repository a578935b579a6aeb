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

/** A secret or endpoint: inline (not for secrets), from an environment variable, or from a file (Kubernetes/Docker secrets). */
export const secretRefSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

const timeoutMs = z.number().int().min(100).max(60_000).default(5000);

const siemFormat = z.enum(['ocsf', 'ecs']).default('ocsf');
/** A SIEM takes far more messages than a person; beyond this many a minute the rest goes out as digests. */
const siemRateLimit = z.number().int().min(1).default(6000);
const facility = z.enum(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']);
/** RFC 5424 header fields: printable US-ASCII, no spaces (SD-IDs also without `=`, `]`, `"`; a private one is name@number). */
const printable = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7e]+$/, 'expected printable US-ASCII without spaces');
const sdId = z.string().max(32).regex(/^[\x21-\x7e]+@\d+$/, 'expected name@enterprise-number').refine((v) => !/[=\]"\s]/.test(v), 'an SD-ID cannot contain =, ] or "');
const tlsClient = z.object({ ca: secretRefSchema.optional(), rejectUnauthorized: z.boolean().default(true), servername: z.string().min(1).optional() }).strict();

const syslogChannelSchema = z
  .object({
    type: z.literal('syslog'),
    host: z.string().min(1),
    /** Default 6514 with tls (RFC 5425), 514 without. */
    port: z.number().int().min(1).max(65535).optional(),
    /** RFC 5425: TLS, same framing; `ca` is a PEM (usually `{file: …}`). */
    tls: tlsClient.optional(),
    facility: facility.default('local4'),
    format: siemFormat,
    hostname: printable(255).optional(),
    appName: printable(48).default('vigil'),
    /** SD-ID of the structured data (key, kind, incident, tier); false: none. vigil@32473 uses the documentation enterprise number (RFC 5612). */
    structuredData: z.union([z.literal(false), sdId]).default('vigil@32473'),
    maxMessageBytes: z.number().int().min(2048).max(1_048_576).default(65_536),
    rateLimitPerMinute: siemRateLimit,
    timeoutMs,
  })
  .strict();

const splunkHecChannelSchema = z
  .object({
    type: z.literal('splunk_hec'),
    /** The collector's base URL; events are posted to {url}/services/collector/event. */
    url: secretRefSchema,
    token: secretRefSchema,
    format: siemFormat,
    index: z.string().min(1).optional(),
    source: z.string().min(1).default('vigil'),
    sourcetype: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    batch: z
      .object({ lingerMs: z.number().int().min(0).max(10_000).default(200), maxEvents: z.number().int().min(1).max(10_000).default(100), maxBytes: z.number().int().min(1024).max(100_000_000).default(1_000_000) })
      .strict()
      .default({}),
    useAck: z.boolean().default(false),
    ackTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
    ackPollMs: z.number().int().min(50).max(60_000).default(1000),
    tls: tlsClient.omit({ servername: true }).optional(),
    rateLimitPerMinute: siemRateLimit,
    timeoutMs,
  })
  .strict();

/** The channel types that can be fed every finding (`findingChannels`). */
export const siemChannelTypes = ['syslog', 'splunk_hec'] as const;

/** Channel definitions by name; the tiers refer to them. `log` is built in. */
export const channelSchema = z.discriminatedUnion('type', [
  syslogChannelSchema,
  splunkHecChannelSchema,
  z.object({ type: z.literal('webhook'), url: secretRefSchema, secret: secretRefSchema.optional(), timeoutMs }).strict(),
  z.object({ type: z.literal('slack'), webhookUrl: secretRefSchema, timeoutMs }).strict(),
  z.object({ type: z.literal('pagerduty'), routingKey: secretRefSchema, url: secretRefSchema.optional(), timeoutMs }).strict(),
  z.object({ type: z.literal('opsgenie'), apiKey: secretRefSchema, baseUrl: z.string().url().optional(), timeoutMs }).strict(),
  z.object({ type: z.literal('alertmanager'), url: secretRefSchema, activeForMs: z.number().int().min(60_000).optional(), timeoutMs }).strict(),
  z
    .object({
      type: z.literal('email'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      user: secretRefSchema.optional(),
      password: secretRefSchema.optional(),
      from: z.string().min(3),
      to: z.array(z.string().min(3)).min(1),
      timeoutMs,
    })
    .strict(),
]);

export type SecretRef = z.output<typeof secretRefSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;

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
        /** A finding whose episode (its window) has lasted this long is a consistent issue too, unless it is usual for its subject (0 = never). */
        sustainedMs: duration.default(900_000),
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
    /** The channels the tiers name. */
    channels: z.record(channelName, channelSchema).default({}),
    /** SIEM channels (syslog, splunk_hec) that receive every finding as it joins its incident, whatever its tier. */
    findingChannels: z.array(channelName).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const tier of tiers) {
      c.tiers[tier].forEach((name, i) => {
        if (name !== 'log' && !(name in c.channels)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tiers', tier, i], message: `no channel named ${JSON.stringify(name)} under channels` });
      });
    }
    c.findingChannels.forEach((name, i) => {
      const channel = c.channels[name];
      if (!channel) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['findingChannels', i], message: `no channel named ${JSON.stringify(name)} under channels` });
      else if (!(siemChannelTypes as readonly string[]).includes(channel.type)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['findingChannels', i], message: `channel ${JSON.stringify(name)} is a ${channel.type} channel; only ${siemChannelTypes.join(' and ')} channels take every finding` });
    });
    if ('log' in c.channels) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['channels', 'log'], message: 'log is built in; choose another name' });
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
