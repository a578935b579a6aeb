export type { Channel, Message, SendResult } from './types.js';
export { post, safeOrigin } from './http.js';
export {
  alertmanagerChannel,
  describeChannel,
  logChannel,
  opsgenieChannel,
  pagerDutyChannel,
  slackChannel,
  verifySignature,
  webhookChannel,
  type AlertmanagerOptions,
  type OpsgenieOptions,
  type PagerDutyOptions,
  type SlackOptions,
  type WebhookOptions,
} from './channels.js';
export { emailChannel, type EmailOptions } from './email.js';
export { summary } from './summary.js';
