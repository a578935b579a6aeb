import type { Message } from './types.js';

/** One line for a notification: tier, what happened, the incident's title. */
export function summary(m: Message): string {
  const i = m.incident;
  const verb = { trigger: 'New', repeat: 'Still open', acknowledge: 'Acknowledged', resolve: 'Resolved', digest: 'Digest', finding: 'Finding' }[m.kind];
  const title = m.kind === 'digest' ? `${m.count ?? 0} notifications held by the rate limit (latest: ${i.title})` : i.title;
  return `[vigil ${m.tier}] ${verb}: ${title}`.slice(0, 1000);
}
