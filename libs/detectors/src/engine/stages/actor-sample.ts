import type { EnrichedEvent } from '../../types.js';
import type { Actor, RouteBatch } from '../batch.js';

/** What a subject's window shows of the batch's calls as evidence. */
export interface ActorSample {
  userAgents: string[];
  eventIds: string[];
  paths: string[];
}

/**
 * A window's evidence, drawn from the actor's calls counted so far (in time
 * order): distinct user agents and paths in order of first appearance (up to
 * 5 and 10, each cut to 200 characters) and the first 20 event ids. Drawn as
 * a window is built (few are), not kept up to date for every actor at every
 * call.
 */
export function actorSample(events: readonly EnrichedEvent[], actor: Actor): ActorSample {
  const sample: ActorSample = { userAgents: [], eventIds: [], paths: [] };
  for (let k = 0; k < actor.counted; k++) {
    const e = events[actor.events[k]!]!;
    if (e.userAgent && sample.userAgents.length < 5) addDistinct(sample.userAgents, e.userAgent.slice(0, 200));
    if (sample.eventIds.length < 20) sample.eventIds.push(e.id);
    if (sample.paths.length < 10) addDistinct(sample.paths, e.path.slice(0, 200));
  }
  return sample;
}

/** The ids of the actor's first 20 calls counted so far on `route` that named an object: a route window's evidence. */
export function routeEventIds(events: readonly EnrichedEvent[], routes: readonly RouteBatch[], actor: Actor, route: RouteBatch): string[] {
  const ids: string[] = [];
  for (let k = 0; k < actor.counted && ids.length < 20; k++) {
    const i = actor.events[k]!;
    if (routes[i] === route && events[i]!.objectId !== undefined) ids.push(events[i]!.id);
  }
  return ids;
}

function addDistinct(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}
