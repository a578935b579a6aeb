import { describe, expect, it } from 'vitest';
import { createCommitLedger, type CommitLedger } from './commit-ledger.js';

const topic = 'api.transactions';

/** One step against the ledger; `startedIn` is relative: 0 the current generation, -1 the one before. */
type Step =
  | { succeeded: [partition: number, lastOffset: string]; startedIn?: number; recorded?: boolean }
  | { join: true }
  | { commit: 'toCommit' }
  | { expect: Record<number, string> };

function run(steps: readonly Step[]): CommitLedger {
  const ledger = createCommitLedger(topic);
  for (const step of steps) {
    if ('join' in step) ledger.join();
    else if ('commit' in step) ledger.committed(ledger.toCommit());
    else if ('expect' in step) {
      const expected = Object.entries(step.expect).map(([partition, offset]) => ({ topic, partition: Number(partition), offset }));
      expect(ledger.toCommit()).toEqual(expected);
    } else {
      const recorded = ledger.succeeded(step.succeeded[0], step.succeeded[1], ledger.generation + (step.startedIn ?? 0));
      expect(recorded).toBe(step.recorded ?? true);
    }
  }
  return ledger;
}

describe('createCommitLedger', () => {
  it.each<[string, Step[]]>([
    ['nothing succeeded: nothing to commit', [{ expect: {} }]],
    ['a batch that succeeded commits the offset after its last message', [{ succeeded: [0, '41'] }, { expect: { 0: '42' } }]],
    ['the last success of each partition wins', [{ succeeded: [0, '9'] }, { succeeded: [1, '4'] }, { succeeded: [0, '19'] }, { expect: { 0: '20', 1: '5' } }]],
    ['a committed offset is not committed again', [{ succeeded: [0, '9'] }, { commit: 'toCommit' }, { expect: {} }]],
    ['only the partitions that moved on since the commit', [{ succeeded: [0, '9'] }, { succeeded: [1, '9'] }, { commit: 'toCommit' }, { succeeded: [1, '15'] }, { expect: { 1: '16' } }]],
    ['a join forgets what succeeded and what was committed', [{ succeeded: [0, '9'] }, { commit: 'toCommit' }, { succeeded: [1, '3'] }, { join: true }, { expect: {} }]],
    ['after a join, a partition is committed again even at the offset committed before', [{ succeeded: [0, '9'] }, { commit: 'toCommit' }, { join: true }, { succeeded: [0, '9'] }, { expect: { 0: '10' } }]],
    ['a batch started before the join is not recorded', [{ succeeded: [0, '9'] }, { join: true }, { succeeded: [0, '20'], startedIn: -1, recorded: false }, { expect: {} }]],
    ['offsets past 2^53 keep every digit', [{ succeeded: [0, '9007199254740993'] }, { expect: { 0: '9007199254740994' } }]],
  ])('%s', (_, steps) => {
    run(steps);
  });

  it('bumps the generation on each join, from 0', () => {
    const ledger = createCommitLedger(topic);
    expect(ledger.generation).toBe(0);
    ledger.join();
    ledger.join();
    expect(ledger.generation).toBe(2);
  });

  it('records the commit it is given, not what succeeded since the flush began', () => {
    const ledger = createCommitLedger(topic);
    ledger.succeeded(0, '9', 0);
    const flushing = ledger.toCommit();
    ledger.succeeded(0, '29', 0);
    ledger.committed(flushing);
    expect(ledger.toCommit()).toEqual([{ topic, partition: 0, offset: '30' }]);
  });

  it('needs its topic', () => {
    expect(() => createCommitLedger('')).toThrow(/topic/);
  });
});
