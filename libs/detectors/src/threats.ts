import { isIP } from 'node:net';

/**
 * The known-threats store: bad IPs and CIDRs, user-agent patterns, leaked
 * key ids (matched against principal and clientId). Loaded from a file by
 * `vigil threats load` into Redis; the detector reloads it when its version
 * changes.
 */
export interface ThreatEntry {
  kind: 'ip' | 'cidr' | 'user_agent' | 'key_id';
  value: string;
  /** Why it is bad, shown in findings. */
  reason?: string;
}

export interface ThreatMatch {
  kind: ThreatEntry['kind'];
  value: string;
  reason: string;
}

export interface ThreatMatcher {
  readonly size: number;
  match(event: { clientIp?: string | undefined; userAgent?: string | undefined; principal?: string | undefined; clientId?: string | undefined }): ThreatMatch | undefined;
}

interface Cidr {
  family: 4 | 6;
  bits: bigint;
  mask: bigint;
  value: string;
  reason: string;
}

function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) {
    return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n) };
  }
  if (family === 6) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const parse = (s: string) => (s ? s.split(':') : []);
    let groups = parse(head);
    let tailGroups = tail !== undefined ? parse(tail) : [];
    const last = (tailGroups.length ? tailGroups : groups).at(-1);
    if (last && last.includes('.')) {
      const v4 = ipToBigInt(last);
      if (!v4) return undefined;
      const hi = ((v4.value >> 16n) & 0xffffn).toString(16);
      const lo = (v4.value & 0xffffn).toString(16);
      if (tailGroups.length) tailGroups = [...tailGroups.slice(0, -1), hi, lo];
      else groups = [...groups.slice(0, -1), hi, lo];
    }
    const missing = 8 - groups.length - tailGroups.length;
    const all = tail !== undefined ? [...groups, ...Array(missing).fill('0'), ...tailGroups] : groups;
    return { family: 6, value: all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n) };
  }
  return undefined;
}

/** `::ffff:a.b.c.d` (how dual-stack servers report IPv4 clients) as the IPv4 address it is. */
function unmapV4(ip: { family: 4 | 6; value: bigint } | undefined): { family: 4 | 6; value: bigint } | undefined {
  if (ip && ip.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & 0xffffffffn };
  return ip;
}

export function parseCidr(text: string): { family: 4 | 6; bits: bigint; mask: bigint } | undefined {
  const parts = text.split('/');
  if (parts.length > 2) return undefined;
  const [addr, prefixText] = parts;
  const ip = addr ? ipToBigInt(addr) : undefined;
  if (!ip) return undefined;
  const width = ip.family === 4 ? 32 : 128;
  // An empty or non-numeric prefix is a typo, never /0 (which would match every client).
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family: ip.family, bits: ip.value & mask, mask };
}

/** Validates one entry; returns an error message or undefined. */
export function checkThreatEntry(entry: ThreatEntry): string | undefined {
  if (entry.kind === 'ip' && !isIP(entry.value)) return `not an IP address: ${JSON.stringify(entry.value)}`;
  if (entry.kind === 'cidr' && !parseCidr(entry.value)) return `not a CIDR block: ${JSON.stringify(entry.value)}`;
  if (entry.kind === 'user_agent') {
    try {
      new RegExp(entry.value, 'i');
    } catch {
      return `not a valid pattern: ${JSON.stringify(entry.value)}`;
    }
  }
  if (!entry.value || entry.value.length > 1024) return 'value must be 1-1024 characters';
  return undefined;
}

export function createThreatMatcher(entries: readonly ThreatEntry[]): ThreatMatcher {
  const ips = new Map<string, string>();
  const keys = new Map<string, string>();
  const cidrs: Cidr[] = [];
  const agents: { re: RegExp; value: string; reason: string }[] = [];
  for (const e of entries) {
    const reason = e.reason ?? `listed ${e.kind.replace('_', ' ')}`;
    if (checkThreatEntry(e)) continue;
    if (e.kind === 'ip') {
      const n = unmapV4(ipToBigInt(e.value))!;
      ips.set(`${n.family}:${n.value}`, reason);
    } else if (e.kind === 'cidr') {
      const c = parseCidr(e.value)!;
      cidrs.push({ ...c, value: e.value, reason });
    } else if (e.kind === 'key_id') keys.set(e.value, reason);
    else agents.push({ re: new RegExp(e.value, 'i'), value: e.value, reason });
  }
  return {
    size: ips.size + keys.size + cidrs.length + agents.length,
    match(event) {
      if (event.clientIp) {
        const raw = ipToBigInt(event.clientIp);
        const ip = unmapV4(raw);
        if (ip && raw) {
          const exact = ips.get(`${ip.family}:${ip.value}`);
          if (exact) return { kind: 'ip', value: event.clientIp, reason: exact };
          // Blocks are tried against the address as given and, for an IPv4-mapped one, as IPv4.
          for (const c of cidrs) {
            if ((c.family === ip.family && (ip.value & c.mask) === c.bits) || (c.family === raw.family && (raw.value & c.mask) === c.bits)) {
              return { kind: 'cidr', value: c.value, reason: c.reason };
            }
          }
        }
      }
      for (const id of [event.principal, event.clientId]) {
        if (id) {
          const reason = keys.get(id);
          if (reason) return { kind: 'key_id', value: id, reason };
        }
      }
      if (event.userAgent) {
        const ua = event.userAgent.slice(0, 1024);
        for (const a of agents) if (a.re.test(ua)) return { kind: 'user_agent', value: a.value, reason: a.reason };
      }
      return undefined;
    },
  };
}

export const emptyThreats: ThreatMatcher = createThreatMatcher([]);
