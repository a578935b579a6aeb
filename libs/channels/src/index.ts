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
export { siemRecord, asciiJson, type SiemFormat, type SiemRecord } from './siem-doc.js';
export { facilities, pri, syslogSeverity, octetFrame, type Facility } from './syslog-format.js';
export { syslogChannel, syslogMessage, type SyslogOptions } from './syslog.js';
export type { SyslogTls } from './syslog-connection.js';
export { splunkHecChannel, hecEvent, type SplunkHecOptions } from './splunk-hec.js';
export type { HecTls } from './hec-http.js';
