import { describe, expect, it } from 'vitest';
import type { SubjectRouteWindow, SubjectWindow } from '../../types.js';
import type { CountedBatch } from '../batch.js';
import { RoutePeers } from '../peers.js';
import { SubjectPassOrder } from './subject-order.js';

const counted = (): CountedBatch => ({ routes: new Map(), apis: [], subjects: [], subjectRoutes: [], logins: [], endpoints: new Map() });
const subjectWindow = (name: string) => ({ api: name }) as unknown as SubjectWindow;
const routeWindow = (name: string) => ({ api: name, peers: undefined }) as unknown as SubjectRouteWindow;

describe('the subjects pass, put back in the order of the calls', () => {
  it('lists the windows judged by the call that ended them, one call keeping its own order', () => {
    const order = new SubjectPassOrder();
    const c = counted();
    // Subject A's calls 4 and 1... counted before subject B's calls 0 and 2.
    for (const [at, name] of [[1, 'a1-short'], [1, 'a1-long'], [4, 'a4'], [0, 'b0'], [2, 'b2']] as const) {
      order.at = at;
      order.subject(c, subjectWindow(name));
    }
    order.settle(c, new RoutePeers());
    expect(c.subjects.map((w) => w.api)).toEqual(['b0', 'a1-short', 'a1-long', 'b2', 'a4']);
  });

  it("replays the route peers in call order: a window reads the hours other subjects closed before its call, not after", () => {
    const order = new SubjectPassOrder();
    const c = counted();
    const route = 'api\u0000i/users/{id}';
    // Subject A (counted first): a window at call 5. Subject B (counted after): 60 closed hours at calls 0-2, 60 more at call 9.
    const early = routeWindow('a5');
    order.at = 5;
    order.subjectRoute(c, early, route);
    for (const at of [0, 1, 2, 9]) {
      order.at = at;
      for (let k = 0; k < 30; k++) order.peerRecord(route, at === 9 ? 1000 : 3);
    }
    order.settle(c, new RoutePeers());
    // The window saw the 90 hours closed before call 5 (3 ids each), not the 30 of call 9.
    expect(early.peers).toEqual({ subjectHours: 90, top: 3 });
  });
});
