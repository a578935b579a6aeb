import type { Finding } from '@vigil/contracts';
import { StateError } from '@vigil/errors';
import { applyFinding, groupKeyOf, matches, tick, type EscalationConfig, type IncidentState, type Transition } from '@vigil/notifier-core';
import type { Outbox } from '@vigil/outbox';
import { covers, type RecordWatcher, type Silence, type Suppression } from '@vigil/records';
import type { Logger } from '@vigil/telemetry';
import { NotFoundError } from './errors.js';
import type { FindingOutcome, NotifierMetrics } from './metrics.js';
import { plan } from './plan.js';
import type { IncidentStore, Stored } from './store.js';

export interface EscalatorDeps {
  store: IncidentStore;
  outbox: Outbox;
  suppressions: RecordWatcher<Suppression>;
  silences: RecordWatcher<Silence>;
  config: () => EscalationConfig;
  clock: () => number;
  logger: Logger;
  metrics: NotifierMetrics;
  /** Called when entries were queued, so delivery starts at once. */
  kick: () => void;
}

/** How many times a compare-and-set that lost a race is retried before the batch fails (and is fetched again). */
const MAX_RACES = 8;

/**
 * The notifier's stages for one finding, one tick or one API action:
 * suppress → group and dedup (load) → tier (pure transition) → outbox
 * (notifications and the incident change, queued before the state is
 * written, under ids derived from the new revision) → commit (compare-and-set).
 * A crash between queueing and committing replays into the same ids;
 * a lost race reads again and recomputes.
 */
export function createEscalator(deps: EscalatorDeps) {
  const log = deps.logger.child({ component: 'escalator' });

  async function write(before: Stored | undefined, t: Transition, receivedAt: number, finding?: Finding): Promise<'ok' | 'race' | 'seen'> {
    const rev = before && before.state.id === t.state.id ? before.rev : 0;
    const now = deps.clock();
    const silenced = deps.silences.find((sil) => matches(sil.matcher, t.state)) !== undefined;
    const { entries, muted } = plan(t, rev + 1, deps.config(), now, receivedAt, silenced, finding);
    await Promise.all(entries.map((e) => deps.outbox.enqueue(e.id, JSON.stringify(e.delivery), now)));
    const result = await deps.store.commit(rev, t.state, finding);
    if (result === 'seen') return 'seen';
    if (result !== 'ok') return 'race';
    if (entries.length > 0) deps.kick();
    deps.metrics.muted.inc(muted);
    if (t.change) {
      deps.metrics.incidentChanges.labels(t.change.change).inc();
      // The log channel: every change, always on.
      log.info(
        { incident: t.state.id, change: t.change.change, tier: t.state.tier, state: t.state.state, detector: t.state.detector, severity: t.state.severity, api: t.state.api, findings: t.state.findingCount, reason: t.change.reason, notifications: t.notifications.length },
        `incident ${t.change.change}: ${t.state.title}`,
      );
    }
    return 'ok';
  }

  return {
    /** Applies one finding; `receivedAt` is the wall-clock time it was read. */
    async applyFinding(f: Finding, receivedAt: number): Promise<FindingOutcome> {
      const suppression = deps.suppressions.find((s, now) => covers(s, f, now));
      if (suppression) {
        log.debug({ finding: f.id, suppression: suppression.id }, 'finding suppressed by a false-positive verdict');
        return 'suppressed';
      }
      for (let race = 0; race < MAX_RACES; race++) {
        const config = deps.config();
        const { seen, current } = await deps.store.load(f.id, groupKeyOf(f, config));
        if (seen) return 'replay';
        const t = applyFinding(current?.state, f, config, deps.clock());
        if (current && t.state === current.state) return 'replay'; // the id is in the incident already
        const r = await write(current, t, receivedAt, f);
        if (r === 'seen') return 'replay';
        if (r === 'ok') return current ? 'updated' : 'new_incident';
      }
      throw new StateError('VIGIL_REDIS_COMMAND', `incident of finding ${f.id} kept changing under us; retrying the batch`, { retriable: true });
    },

    /** Time passes for every open incident: held notifications, ack timeouts, repeats, resolution. */
    async tickAll(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      const ids = await deps.store.openIds();
      // Read in pipelined chunks: one round trip per 500 open incidents; write only what changed.
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const stored = await deps.store.getMany(chunk);
        const found = new Set(stored.map((s) => s.state.id));
        for (const id of chunk) if (!found.has(id)) await deps.store.forgetOpen(id);
        for (const before of stored) {
          const t = tick(before.state, deps.config(), deps.clock());
          if (t.state !== before.state) await write(before, t, deps.clock());
          const key = `${t.state.tier}|${t.state.state}`;
          if (t.state.state !== 'resolved') counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      return counts;
    },

    /** An API action on one incident (ack, resolve, silence); undefined when there is no such incident. */
    async act(id: string, action: (s: IncidentState, now: number) => Transition): Promise<Transition> {
      for (let race = 0; race < MAX_RACES; race++) {
        const before = await deps.store.get(id);
        if (!before) throw new NotFoundError(`no incident ${id}`);
        const t = action(before.state, deps.clock());
        if (t.state === before.state) return t;
        if ((await write(before, t, deps.clock())) === 'ok') return t;
      }
      throw new StateError('VIGIL_REDIS_COMMAND', `incident ${id} kept changing under us; try again`, { retriable: true });
    },
  };
}

export type Escalator = ReturnType<typeof createEscalator>;
