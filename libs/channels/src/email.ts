import { createTransport } from 'nodemailer';
import { formatRfc3339 } from '@vigil/contracts';
import { VigilError } from '@vigil/errors';
import { scrubSecrets } from '@vigil/telemetry';
import { summary } from './summary.js';
import type { Channel, Message } from './types.js';

export interface EmailOptions {
  name: string;
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise STARTTLS when offered. */
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: readonly string[];
  timeoutMs?: number;
}

function body(m: Message): string {
  const i = m.incident;
  return [
    summary(m),
    '',
    m.reason + (m.count ? ` (${m.count} notifications)` : ''),
    '',
    `Detector:  ${i.detector}`,
    `Severity:  ${i.severity}`,
    `API:       ${i.api}${i.route ? ` ${i.route}` : ''}`,
    `Subject:   ${i.subject.kind} ${i.subject.value.slice(0, 200)}`,
    `Findings:  ${i.findingCount}`,
    `Since:     ${formatRfc3339(i.firstSeenAt)}`,
    `Incident:  ${i.id} (${i.state}, tier ${i.tier})`,
  ].join('\n');
}

/**
 * Email over SMTP. A refused recipient or a 5xx reply is permanent; a
 * connection failure, a timeout or a 4xx reply is retried.
 */
export function emailChannel(o: EmailOptions): Channel {
  if (o.to.length === 0) throw new VigilError('VIGIL_ARGUMENT', `channel ${o.name}: at least one recipient is required`);
  const timeout = o.timeoutMs ?? 10_000;
  const transport = createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    auth: o.user ? { user: o.user, pass: o.password ?? '' } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    name: o.name,
    type: 'email',
    async send(m) {
      try {
        await transport.sendMail({
          from: o.from,
          to: [...o.to],
          subject: summary(m).slice(0, 200),
          text: body(m),
          headers: { 'X-Vigil-Key': m.key, 'X-Vigil-Incident': m.incident.id },
        });
        return { ok: true };
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string };
        const permanent = e.responseCode !== undefined && e.responseCode >= 500;
        return { ok: false, retryable: !permanent, reason: scrubSecrets(`smtp ${o.host}:${o.port} failed: ${e.code ?? ''} ${e.responseCode ?? ''} ${e.message}`.replace(/\s+/g, ' ').slice(0, 300)) };
      }
    },
  };
}
