import { randomBytes } from 'node:crypto';
import type { SoakSecrets } from './types.js';

/** Fresh random secrets for a run, each recognisable in a log line. */
export function generatedSecrets(): SoakSecrets {
  return {
    webhookSecret: `whsec-${randomBytes(12).toString('hex')}`,
    webhookUrlToken: `HOOKTOKEN${randomBytes(8).toString('hex')}`,
    slackUrlToken: `SLACKTOKEN${randomBytes(8).toString('hex')}`,
    pagerDutyKey: randomBytes(16).toString('hex'), // 32 characters, as PagerDuty's
    apiToken: `api-${randomBytes(12).toString('hex')}`,
    registryPassword: `regpw-${randomBytes(8).toString('hex')}`,
    redisPassword: `redispw-${randomBytes(10).toString('hex')}`,
  };
}
