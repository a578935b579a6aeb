import { Counter, Gauge, Histogram, type Registry } from '@vigil/telemetry';
import { detectorNames, incidentStates, tiers } from '@vigil/contracts';

export const findingOutcomes = ['new_incident', 'updated', 'replay', 'suppressed', 'invalid'] as const;
export type FindingOutcome = (typeof findingOutcomes)[number];
export const verdicts = ['false_positive', 'true_positive'] as const;
/** The API's route templates, the label of its request counter; `unmatched` is every path no route has. */
export const apiRouteTemplates = [
  '/incidents',
  '/incidents/{id}',
  '/incidents/{id}/ack',
  '/incidents/{id}/resolve',
  '/incidents/{id}/silence',
  '/incidents/{id}/verdict',
  '/suppressions',
  '/suppressions/{id}',
  '/silences',
  '/silences/{id}',
  '/inventory',
  '/inventory/{api}',
  '/inventory/{api}/openapi',
  '/session',
  '/traffic/{api}',
  '/console',
  'unmatched',
] as const;
export type ApiRouteTemplate = (typeof apiRouteTemplates)[number];
export const apiMethods = ['GET', 'HEAD', 'POST', 'DELETE', 'other'] as const;
export const apiStatusClasses = ['2xx', '4xx', '5xx'] as const;
export const authFailureReasons = ['missing', 'invalid'] as const;

/** The notifier's metrics, on the registry the service injects. Label values come from fixed lists or config-defined channel names. */
export function createNotifierMetrics(registry: Registry) {
  const metrics = {
    findings: new Counter({ name: 'vigil_notifier_findings_total', help: 'Findings read from the findings topic, by outcome.', labelNames: ['outcome'], registers: [registry] }),
    incidents: new Gauge({ name: 'vigil_incidents', help: 'Incidents open or acknowledged, by tier and state (from the last tick).', labelNames: ['tier', 'state'], registers: [registry] }),
    incidentChanges: new Counter({ name: 'vigil_incident_changes_total', help: 'Incident state changes published, by change.', labelNames: ['change'], registers: [registry] }),
    sent: new Counter({ name: 'vigil_notifications_sent_total', help: 'Notifications delivered, by channel and kind.', labelNames: ['channel', 'kind'], registers: [registry] }),
    failed: new Counter({ name: 'vigil_notifications_failed_total', help: 'Failed send attempts, by channel and whether they will be retried.', labelNames: ['channel', 'reason'], registers: [registry] }),
    retried: new Counter({ name: 'vigil_notifications_retried_total', help: 'Send attempts that were retries, by channel.', labelNames: ['channel'], registers: [registry] }),
    digested: new Counter({ name: 'vigil_notifications_digested_total', help: 'Notifications held by a channel rate limit and sent inside a digest, by channel.', labelNames: ['channel'], registers: [registry] }),
    muted: new Counter({ name: 'vigil_notifications_muted_total', help: 'Notifications not sent because their incident is silenced.', registers: [registry] }),
    outboxDepth: new Gauge({ name: 'vigil_outbox_depth', help: 'Entries waiting in the outbox (due, leased or backing off).', registers: [registry] }),
    outboxDead: new Gauge({ name: 'vigil_outbox_dead', help: 'Entries that could not be delivered (see the dead set).', registers: [registry] }),
    latency: new Histogram({
      name: 'vigil_finding_to_notification_seconds',
      help: 'Wall-clock seconds from a finding reaching the notifier to its first notification being delivered.',
      labelNames: ['tier'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    verdicts: new Counter({ name: 'vigil_verdicts_total', help: 'Verdicts on incidents, by detector and verdict: how operators see which detector is noisy.', labelNames: ['detector', 'verdict'], registers: [registry] }),
    suppressions: new Gauge({ name: 'vigil_suppressions', help: 'Live suppressions (false-positive verdicts).', registers: [registry] }),
    apiRequests: new Counter({ name: 'vigil_api_requests_total', help: 'Requests to the incidents API, by route template, method and status class (refused ones included).', labelNames: ['route', 'method', 'status_class'], registers: [registry] }),
    apiAuthFailures: new Counter({ name: 'vigil_api_auth_failures_total', help: 'API requests refused for their credentials: no bearer token (missing) or a wrong one (invalid).', labelNames: ['reason'], registers: [registry] }),
    apiBlocks: new Counter({ name: 'vigil_api_address_blocks_total', help: 'Times a source address was blocked (answered 429) after repeated failed authentications.', registers: [registry] }),
    configReloads: new Counter({ name: 'vigil_config_reloads_total', help: 'Escalation config reloads, by result.', labelNames: ['result'], registers: [registry] }),
  };
  for (const o of findingOutcomes) metrics.findings.labels(o).inc(0);
  for (const d of detectorNames) for (const v of verdicts) metrics.verdicts.labels(d, v).inc(0);
  for (const t of tiers) for (const s of incidentStates) if (s !== 'resolved') metrics.incidents.labels(t, s).set(0);
  for (const r of ['ok', 'invalid']) metrics.configReloads.labels(r).inc(0);
  for (const r of authFailureReasons) metrics.apiAuthFailures.labels(r).inc(0);
  return metrics;
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;
