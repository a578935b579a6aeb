import type { ApiTransaction, Codec } from '@vigil/contracts';
import type { OutgoingMessage } from '@vigil/kafka';
import { benchTraffic, createRandom } from '@vigil/simulator';
import { attackWave } from './attacks.js';
import { malformed } from './malformed.js';

export interface MessageMixOptions {
  run: string;
  /** Seeds both the background traffic and the draws of the mix (attacks, malformed and Avro shares). */
  seed: number;
  rate: number;
  timeScale: number;
  /** Event time at a wall-clock instant. */
  eventTime: (wall: number) => number;
  /** Wall clock of the first attack, then one every attackEveryMs. */
  firstAttackAt: number;
  attackEveryMs: number;
  malformedShare: number;
  avroShare: number;
  codec: Codec<ApiTransaction>;
}

export interface MessageMix {
  /** Starts the next attack wave if it is due at `now` (its events then join the stream as their time comes). */
  attackIfDue(now: number): void;
  /** The `count` messages of the 100 ms (wall) ending at `now`, their event times spread over it. */
  tick(now: number, count: number): Promise<OutgoingMessage[]>;
  counts(): { malformed: number; avro: number; attacks: number; attackEvents: number };
}

/** Realistic background traffic with attacks mixed in, some malformed messages and some Avro. */
export function createMessageMix(o: MessageMixOptions): MessageMix {
  const r = createRandom(o.seed);
  const background = benchTraffic(Number.POSITIVE_INFINITY, 0, o.rate, o.seed);
  const pendingAttack: ApiTransaction[] = [];
  const counts = { malformed: 0, avro: 0, attacks: 0, attackEvents: 0 };
  let nextAttack = o.firstAttackAt;

  const nextEvent = (ts: number): ApiTransaction => {
    if (pendingAttack.length > 0 && pendingAttack[0]!.timestamp <= ts) {
      counts.attackEvents++;
      return pendingAttack.shift()!;
    }
    const e = background.next().value as ApiTransaction;
    e.timestamp = ts;
    return e;
  };

  return {
    attackIfDue(now) {
      if (now < nextAttack) return;
      pendingAttack.push(...attackWave(counts.attacks, o.eventTime(now), r, o.run));
      pendingAttack.sort((a, b) => a.timestamp - b.timestamp);
      counts.attacks++;
      nextAttack += o.attackEveryMs;
    },
    async tick(now, count) {
      const tickStart = o.eventTime(now - 100);
      const messages: OutgoingMessage[] = [];
      const encodes: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const e = nextEvent(Math.round(tickStart + ((i + 1) / count) * 100 * o.timeScale));
        const key = e.principal ?? e.clientIp ?? e.clientId ?? e.api;
        const roll = r.next();
        if (roll < o.malformedShare) {
          messages.push(malformed(counts.malformed++, e));
        } else if (roll < o.malformedShare + o.avroShare) {
          const slot = messages.length;
          messages.push({ key, value: null });
          counts.avro++;
          encodes.push(o.codec.encodeAvro(e).then((value) => void (messages[slot] = { key, value })));
        } else {
          messages.push({ key, value: o.codec.encodeJson(e) });
        }
      }
      await Promise.all(encodes);
      return messages;
    },
    counts: () => ({ ...counts }),
  };
}
