import { describe, expect, it } from 'vitest';
import { newSilenceId, silenceSchema, type Silence } from './silence.js';

const silence: Silence = { id: 'sil-abc', matcher: { api: ['accounts'], severity: ['high'] }, createdAt: 0, expiresAt: 60_000, createdBy: 'alice' };

describe('silences', () => {
  it('ids are random and fit the record', () => {
    const a = newSilenceId();
    expect(a).toMatch(/^sil-[A-Za-z0-9_-]{16}$/);
    expect(a).not.toBe(newSilenceId());
    expect(silenceSchema.parse({ ...silence, id: a }).id).toBe(a);
  });

  it('a record takes a matcher of the escalation config, and nothing it does not know', () => {
    expect(silenceSchema.parse({ ...silence, incidentId: 'inc-1', comment: 'deploy' })).toEqual({ ...silence, incidentId: 'inc-1', comment: 'deploy' });
    expect(silenceSchema.safeParse({ ...silence, id: 'sup-abc' }).success).toBe(false);
    expect(silenceSchema.safeParse({ ...silence, matcher: { api: 'accounts' } }).success).toBe(false);
    expect(silenceSchema.safeParse({ ...silence, matcher: { tier: ['notify'] } }).success).toBe(false);
    expect(silenceSchema.safeParse({ ...silence, reason: 'x' }).success).toBe(false);
  });
});
