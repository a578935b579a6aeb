import { describe, expect, it } from 'vitest';
import { checkThreatEntry, createThreatMatcher, emptyThreats, parseCidr, type ThreatEntry } from './threats.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', 4, 0x0a000000n, 0xff000000n],
    // Host bits are cleared: the block is what counts.
    ['10.1.2.3/8', 4, 0x0a000000n, 0xff000000n],
    ['192.0.2.7/32', 4, 0xc0000207n, 0xffffffffn],
    // A bare address is a /32 (or /128).
    ['192.0.2.7', 4, 0xc0000207n, 0xffffffffn],
    ['0.0.0.0/0', 4, 0n, 0n],
    ['2001:db8::/32', 6, 0x20010db8n << 96n, ((1n << 32n) - 1n) << 96n],
    ['::/0', 6, 0n, 0n],
    ['::1', 6, 1n, (1n << 128n) - 1n],
    // IPv4-mapped IPv6: the dotted tail is the last 32 bits.
    ['::ffff:1.2.3.4', 6, 0xffff01020304n, (1n << 128n) - 1n],
    ['::ffff:1.2.3.0/120', 6, 0xffff01020300n, ((1n << 120n) - 1n) << 8n],
  ])('%s', (text, family, bits, mask) => {
    expect(parseCidr(text)).toEqual({ family, bits, mask });
  });

  it.each(['', 'abc', '10.0.0/8', '10.0.0.256/8', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8.5', '10.0.0.0/x', '::1/129', '2001:db8::g/32', '/24'])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  // A typo such as "203.0.113.9/" must not become 0.0.0.0/0, which would match every IPv4 client.
  it('rejects an empty prefix and extra slashes', () => {
    expect(parseCidr('203.0.113.9/')).toBeUndefined();
    expect(parseCidr('1.2.3.4/8/9')).toBeUndefined();
  });
});

describe('checkThreatEntry', () => {
  it.each<ThreatEntry>([
    { kind: 'ip', value: '203.0.113.9' },
    { kind: 'ip', value: '2001:db8::1' },
    { kind: 'ip', value: '::ffff:1.2.3.4' },
    { kind: 'cidr', value: '203.0.113.0/24' },
    { kind: 'cidr', value: '0.0.0.0/0' },
    { kind: 'cidr', value: '2001:db8::/32' },
    { kind: 'user_agent', value: '\\bsqlmap\\b' },
    { kind: 'key_id', value: 'key-leaked-1', reason: 'paste site' },
  ])('accepts $kind $value', (entry) => {
    expect(checkThreatEntry(entry)).toBeUndefined();
  });

  it.each<[ThreatEntry, RegExp]>([
    [{ kind: 'ip', value: '203.0.113.256' }, /not an IP address/],
    [{ kind: 'ip', value: '203.0.113.0/24' }, /not an IP address/],
    [{ kind: 'cidr', value: '203.0.113.0/33' }, /not a CIDR block/],
    [{ kind: 'cidr', value: 'example.com' }, /not a CIDR block/],
    [{ kind: 'user_agent', value: '(unclosed' }, /not a valid pattern/],
    [{ kind: 'key_id', value: '' }, /1-1024 characters/],
    [{ kind: 'user_agent', value: 'x'.repeat(1025) }, /1-1024 characters/],
  ])('rejects %j', (entry, message) => {
    expect(checkThreatEntry(entry)).toMatch(message);
  });
});

describe('createThreatMatcher', () => {
  const matcher = createThreatMatcher([
    { kind: 'ip', value: '192.0.2.66', reason: 'intrusion' },
    { kind: 'cidr', value: '203.0.113.0/24', reason: 'botnet' },
    { kind: 'cidr', value: '2001:db8:bad::/48' },
    { kind: 'ip', value: '2001:db8::1' },
    { kind: 'cidr', value: '::ffff:198.51.100.0/120', reason: 'mapped range' },
    { kind: 'key_id', value: 'key-leaked-1', reason: 'paste site' },
    { kind: 'user_agent', value: 'sqlmap|nikto', reason: 'scanner' },
    // Invalid entries are skipped, not fatal.
    { kind: 'cidr', value: '10.0.0.0/99' },
    { kind: 'ip', value: 'nope' },
    { kind: 'user_agent', value: '(' },
  ]);

  it('counts only the valid entries', () => {
    expect(matcher.size).toBe(7);
    expect(emptyThreats.size).toBe(0);
    expect(emptyThreats.match({ clientIp: '192.0.2.66' })).toBeUndefined();
  });

  it.each([
    ['an exact IPv4', { clientIp: '192.0.2.66' }, { kind: 'ip', value: '192.0.2.66', reason: 'intrusion' }],
    ['an IPv4 in a block', { clientIp: '203.0.113.200' }, { kind: 'cidr', value: '203.0.113.0/24', reason: 'botnet' }],
    ['the first address of a block', { clientIp: '203.0.113.0' }, { kind: 'cidr', value: '203.0.113.0/24', reason: 'botnet' }],
    ['an exact IPv6, written another way', { clientIp: '2001:0db8:0:0::0001' }, { kind: 'ip', value: '2001:0db8:0:0::0001', reason: 'listed ip' }],
    ['an IPv6 in a block (default reason)', { clientIp: '2001:db8:bad:ffff::1' }, { kind: 'cidr', value: '2001:db8:bad::/48', reason: 'listed cidr' }],
    ['an IPv4-mapped IPv6 in a mapped block', { clientIp: '::ffff:198.51.100.9' }, { kind: 'cidr', value: '::ffff:198.51.100.0/120', reason: 'mapped range' }],
    ['a leaked key as principal', { principal: 'key-leaked-1' }, { kind: 'key_id', value: 'key-leaked-1', reason: 'paste site' }],
    ['a leaked key as client id', { principal: 'someone', clientId: 'key-leaked-1' }, { kind: 'key_id', value: 'key-leaked-1', reason: 'paste site' }],
    ['a user agent pattern, case-insensitive', { userAgent: 'Mozilla/5.0 (compatible; Nikto/2.5)' }, { kind: 'user_agent', value: 'sqlmap|nikto', reason: 'scanner' }],
    // Addresses come first: a listed IP with a scanner agent is reported as the IP.
    ['an IP before its user agent', { clientIp: '192.0.2.66', userAgent: 'sqlmap' }, { kind: 'ip', value: '192.0.2.66', reason: 'intrusion' }],
  ])('matches %s', (_, event, expected) => {
    expect(matcher.match(event)).toEqual(expected);
  });

  it.each([
    ['an unlisted IPv4', { clientIp: '203.0.114.1' }],
    ['an unlisted IPv6', { clientIp: '2001:db8:bae::1' }],
    ['a malformed address', { clientIp: '192.0.2.66 ' }],
    ['a key that is only a prefix of a leaked one', { principal: 'key-leaked' }],
    ['an ordinary browser', { clientIp: '198.51.100.9', userAgent: 'Mozilla/5.0 Firefox/128.0' }],
    ['an event with nothing to match', {}],
  ])('does not match %s', (_, event) => {
    expect(matcher.match(event)).toBeUndefined();
  });

  it('keeps address families apart: /0 blocks match their own family only', () => {
    const v4all = createThreatMatcher([{ kind: 'cidr', value: '0.0.0.0/0' }]);
    const v6all = createThreatMatcher([{ kind: 'cidr', value: '::/0' }]);
    expect(v4all.match({ clientIp: '8.8.8.8' })?.kind).toBe('cidr');
    expect(v4all.match({ clientIp: '2001:db8::1' })).toBeUndefined();
    expect(v6all.match({ clientIp: '2001:db8::1' })?.kind).toBe('cidr');
    expect(v6all.match({ clientIp: '8.8.8.8' })).toBeUndefined();
  });

  it('matches a /32 only on its own address', () => {
    const one = createThreatMatcher([{ kind: 'cidr', value: '192.0.2.7/32' }]);
    expect(one.match({ clientIp: '192.0.2.7' })?.kind).toBe('cidr');
    expect(one.match({ clientIp: '192.0.2.8' })).toBeUndefined();
  });

  // Dual-stack servers report IPv4 clients as "::ffff:a.b.c.d": they are matched as the IPv4 address.
  it('matches an IPv4 entry against the IPv4-mapped form of the address', () => {
    expect(matcher.match({ clientIp: '::ffff:192.0.2.66' })).toMatchObject({ kind: 'ip' });
    expect(matcher.match({ clientIp: '::ffff:203.0.113.9' })).toMatchObject({ kind: 'cidr' });
  });
});
