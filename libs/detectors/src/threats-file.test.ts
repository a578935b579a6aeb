import { describe, expect, it } from 'vitest';
import { parseThreatsDocument, ThreatsFileError } from './threats-file.js';

describe('known-threats files', () => {
  it('reads the shorthand form', () => {
    expect(parseThreatsDocument({ ips: ['203.0.113.7', { value: '2001:db8::1', reason: 'scanner' }], cidrs: ['192.0.2.0/24'], userAgents: ['sqlmap'], keyIds: ['key_live_1'] })).toEqual([
      { kind: 'ip', value: '203.0.113.7' },
      { kind: 'ip', value: '2001:db8::1', reason: 'scanner' },
      { kind: 'cidr', value: '192.0.2.0/24' },
      { kind: 'user_agent', value: 'sqlmap' },
      { kind: 'key_id', value: 'key_live_1' },
    ]);
  });

  it('reads the entries form and a bare list', () => {
    const entries = [{ kind: 'cidr', value: '10.0.0.0/8', reason: 'internal scanner' }];
    expect(parseThreatsDocument({ entries })).toEqual(entries);
    expect(parseThreatsDocument(entries)).toEqual(entries);
  });

  it('lists every bad entry by its position', () => {
    try {
      parseThreatsDocument({ ips: ['999.1.1.1', 'ok?'], cidrs: ['192.0.2.0/33'], userAgents: ['(unclosed'], entries: [{ kind: 'planet', value: 'x' }], extra: [] });
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(ThreatsFileError);
      const problems = (err as ThreatsFileError).problems;
      expect(problems).toEqual([
        'entries[0].kind: expected one of ip, cidr, user_agent, key_id',
        'ips[0]: not an IP address: "999.1.1.1"',
        'ips[1]: not an IP address: "ok?"',
        'cidrs[0]: not a CIDR block: "192.0.2.0/33"',
        'userAgents[0]: not a valid pattern: "(unclosed"',
        'extra: unknown key (expected entries, ips, cidrs, userAgents or keyIds)',
      ]);
    }
  });

  it('refuses a document that is not a mapping or a list', () => {
    expect(() => parseThreatsDocument('ips: 1.2.3.4')).toThrow(ThreatsFileError);
  });
});
