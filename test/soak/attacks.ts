import type { ApiTransaction } from '@vigil/contracts';
import { createRandom, scenarios, type Random, type ThreatEntry } from '@vigil/simulator';

/** Attacks from the simulator's scenarios that add events (the ones that reshape traffic need hours). */
const ATTACKS = ['known-bad-ip', 'bola-random', 'credential-stuffing', 'scraping-bot', 'bola-sequential', 'burst', 'credential-stuffing-distributed', 'huge-export'] as const;

/** The known-threats entries the attacks need (the known-bad-ip one's address). */
export function attackThreats(): ThreatEntry[] {
  return ATTACKS.flatMap((name) => scenarios[name]!.attack({ at: 0, r: createRandom(1), scenario: name, id: () => 'x' }).threats ?? []);
}

/** The `wave`-th attack (the scenarios in turn), starting at event time `at`; its events' ids name the run and the wave. */
export function attackWave(wave: number, at: number, r: Random, run: string): ApiTransaction[] {
  const name = ATTACKS[wave % ATTACKS.length]!;
  let n = 0;
  return scenarios[name]!.attack({ at, r, scenario: name, id: () => `atk-${run}-${wave}-${n++}` }).events ?? [];
}
