import type { Severity } from '@vigil/contracts';

/** RFC 5424 facility codes by name (section 6.2.1). */
export const facilities = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type Facility = keyof typeof facilities;

/** vigil severity → RFC 5424 severity: critical 2 Critical, high 3 Error, medium 4 Warning, low 5 Notice, info 6 Informational. */
export const syslogSeverity: Readonly<Record<Severity, number>> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

/** PRI = facility × 8 + severity (RFC 5424 section 6.2.1). */
export function pri(facility: Facility, severity: Severity): number {
  return facilities[facility] * 8 + syslogSeverity[severity];
}

/** A header field as RFC 5424 allows it: printable US-ASCII without spaces, at most `max` characters, `-` when empty. */
export function headerField(value: string | undefined, max: number): string {
  const clean = (value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash (RFC 5424 section 6.3.3). */
export function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export interface SyslogFields {
  facility: Facility;
  severity: Severity;
  /** Epoch ms; written as RFC 3339 UTC with milliseconds. */
  time: number;
  hostname: string;
  appName: string;
  procId?: string;
  msgId: string;
  /** One SD-ELEMENT: its SD-ID and parameters, or none. */
  structuredData?: { id: string; params: Record<string, string> };
  /** The MSG part; the caller keeps it printable ASCII (JSON with \u escapes), so no BOM is needed. */
  msg: string;
}

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`. */
export function formatSyslog(f: SyslogFields): string {
  const sd = f.structuredData ? `[${f.structuredData.id}${Object.entries(f.structuredData.params).map(([k, v]) => ` ${k}="${sdValue(v)}"`).join('')}]` : '-';
  const header = [`<${pri(f.facility, f.severity)}>1`, new Date(f.time).toISOString(), headerField(f.hostname, 255), headerField(f.appName, 48), headerField(f.procId, 128), headerField(f.msgId, 32), sd];
  return `${header.join(' ')} ${f.msg}`;
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes (also RFC 5425's framing over TLS). */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
