import { hostname as osHostname } from 'node:os';
import { VigilError } from '@vigil/errors';
import { scrubSecrets } from '@vigil/telemetry';
import { asciiJson, siemRecord, type SiemFormat } from './siem-doc.js';
import { SyslogConnection, type SyslogTls } from './syslog-connection.js';
import { formatSyslog, octetFrame, type Facility } from './syslog-format.js';
import type { Channel, Message, SendResult } from './types.js';

export interface SyslogOptions {
  name: string;
  host: string;
  port: number;
  /** RFC 5425: TLS with the same octet-counted framing. */
  tls?: SyslogTls;
  /** Default local4. */
  facility?: Facility;
  /** Default ocsf. */
  format?: SiemFormat;
  /** HOSTNAME of every message; default this host's name. */
  hostname?: string;
  /** Default vigil. */
  appName?: string;
  /** SD-ID of the one SD-ELEMENT (key, kind, incident, tier); undefined: no structured data. */
  sdId?: string;
  /** A frame (length prefix included) larger than this is refused, not cut: a cut JSON document is no document. Default 65,536. */
  maxMessageBytes?: number;
  timeoutMs?: number;
  /** This channel's messages per minute (see Channel.rateLimitPerMinute). */
  rateLimitPerMinute?: number;
}

/** The RFC 5424 message for one vigil message: MSG is the OCSF or ECS document, as ASCII-only JSON. */
export function syslogMessage(m: Message, o: SyslogOptions, procId = String(process.pid)): string {
  const r = siemRecord(m, o.format ?? 'ocsf');
  return formatSyslog({
    facility: o.facility ?? 'local4',
    severity: r.severity,
    time: r.time,
    hostname: o.hostname ?? osHostname(),
    appName: o.appName ?? 'vigil',
    procId,
    msgId: r.type,
    structuredData: o.sdId ? { id: o.sdId, params: { key: m.key, kind: m.kind, incident: m.incident.id, tier: m.tier } } : undefined,
    msg: asciiJson(r.doc),
  });
}

/**
 * Syslog over TCP (RFC 5424 messages, RFC 6587 octet-counting framing),
 * optionally over TLS (RFC 5425). A refused or broken connection is a
 * retryable failure, so the outbox sends the message again once the receiver
 * is back; an oversize message is a permanent one.
 */
export function syslogChannel(o: SyslogOptions): Channel {
  if (!o.host) throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: a host is required`);
  const max = o.maxMessageBytes ?? 65_536;
  const timeoutMs = o.timeoutMs ?? 5000;
  const connection = new SyslogConnection({ host: o.host, port: o.port, tls: o.tls, timeoutMs });
  const where = `${o.tls ? 'tls' : 'tcp'}://${o.host}:${o.port}`;
  return {
    name: o.name,
    type: 'syslog',
    rateLimitPerMinute: o.rateLimitPerMinute,
    async send(m: Message): Promise<SendResult> {
      const frame = octetFrame(syslogMessage(m, o));
      if (frame.length > max) return { ok: false, retryable: false, reason: `syslog channel ${o.name}: the message is ${frame.length} bytes, over maxMessageBytes ${max}` };
      try {
        await connection.write(frame);
        return { ok: true };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { ok: false, retryable: true, reason: scrubSecrets(`syslog channel ${o.name}: ${where} failed: ${e.code ?? e.name}: ${e.message}`.slice(0, 300)) };
      }
    },
  };
}
