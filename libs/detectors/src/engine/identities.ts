import type { Subject } from '@vigil/contracts';
import type { EnrichedEvent } from '../types.js';
import type { Actor, ActorKind, Identity } from './batch.js';

/**
 * Subject identities by api, kind and value, kept across batches: a subject's key and id strings are
 * built once (and hashed once), not for every batch it appears in. Bounded: past `limit` it is emptied
 * before a batch, and identities are built again as subjects come back.
 */
export class Identities {
  private byApi = new Map<string, Record<ActorKind, Map<string, Identity>>>();
  private size = 0;
  private batches = 0;
  constructor(private readonly limit: number) {}

  /**
   * The acting subject of each inbound event: for login routes the IP (it is
   * the one trying principals), else principal > IP > client. One Actor per
   * subject and api in the batch, shared by its events. Returns each event's
   * actor, and the distinct ones. Synchronous: no other batch lists its actors
   * meanwhile.
   */
  actorsOf(events: readonly EnrichedEvent[]): { perEvent: (Actor | undefined)[]; distinct: Actor[] } {
    if (this.size > this.limit) this.clear();
    const batch = ++this.batches;
    const perEvent = new Array<Actor | undefined>(events.length);
    const distinct: Actor[] = [];
    const listed: Identity[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.direction !== 'inbound') continue;
      let kind: ActorKind;
      let value: string;
      if (e.login && e.clientIp) {
        kind = 'ip';
        value = e.clientIp;
      } else if (e.principal) {
        kind = 'principal';
        value = e.principal;
      } else if (e.clientIp) {
        kind = 'ip';
        value = e.clientIp;
      } else if (e.clientId) {
        kind = 'client';
        value = e.clientId;
      } else continue;
      let kinds = this.byApi.get(e.api);
      if (!kinds) this.byApi.set(e.api, (kinds = { ip: new Map(), principal: new Map(), client: new Map() }));
      const known = kinds[kind];
      let identity = known.get(value);
      if (!identity) {
        const subject: Subject = { kind, value };
        const key = subjectKey(subject);
        identity = { api: e.api, subject, key, id: `${e.api}\u0000${key}`, listedIn: 0, actor: undefined, endpointMarks: undefined, loginMarks: undefined };
        known.set(value, identity);
        this.size++;
      }
      if (identity.listedIn !== batch) {
        identity.listedIn = batch;
        identity.actor = { identity, state: undefined, fence: undefined, events: [], counted: 0, trails: undefined };
        distinct.push(identity.actor);
        listed.push(identity);
      }
      const actor = identity.actor!;
      perEvent[i] = actor;
      actor.events.push(i);
    }
    // The batch's actors (and through them its windows) are not kept past it.
    for (const identity of listed) identity.actor = undefined;
    return { perEvent, distinct };
  }

  clear(): void {
    this.byApi = new Map();
    this.size = 0;
  }
}

/** `kind:value`, the value cut to 256 characters: how a subject is named in keys and checkpoints. */
export function subjectKey(subject: Subject): string {
  return `${subject.kind}:${subject.value.length > 256 ? subject.value.slice(0, 256) : subject.value}`;
}
