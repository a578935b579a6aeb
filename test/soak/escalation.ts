import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes the notifier's escalation config into `dir`, with the webhook's HMAC
 * key in a file beside it (mode 600) and every other channel secret read from
 * the environment (SOAK_HOOK_URL, SOAK_SLACK_URL, SOAK_PAGERDUTY_KEY,
 * SOAK_PAGERDUTY_URL); returns the config's path.
 */
export function writeEscalation(dir: string, webhookSecret: string): string {
  const secretFile = join(dir, 'webhook-secret');
  writeFileSync(secretFile, `${webhookSecret}\n`, { mode: 0o600 });
  const escalationFile = join(dir, 'escalation.json');
  writeFileSync(
    escalationFile,
    JSON.stringify({
      groupBy: ['detector', 'api', 'subject'],
      notify: { findings: 3, withinMs: 600_000, minSeverity: 'high' },
      wakeUp: { severities: ['critical'], detectors: ['known_threat'], ackTimeoutMs: 0 },
      repeatIntervalMs: 300_000,
      resolveAfterMs: 120_000,
      tiers: { notify: ['hook', 'chat'], wake_up: ['pager', 'hook'] },
      rateLimitPerMinute: 30,
      channels: {
        hook: { type: 'webhook', url: { env: 'SOAK_HOOK_URL' }, secret: { file: secretFile } },
        chat: { type: 'slack', webhookUrl: { env: 'SOAK_SLACK_URL' } },
        pager: { type: 'pagerduty', routingKey: { env: 'SOAK_PAGERDUTY_KEY' }, url: { env: 'SOAK_PAGERDUTY_URL' } },
      },
    }),
  );
  return escalationFile;
}
