import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '@vigil/contracts';
import { ecsProblems } from '../../libs/siem/src/ecs-schema.fixture.js';
import { ocsfProblems } from '../../libs/siem/src/ocsf-schema.fixture.js';
import { waitFor } from '../support/helpers.js';
import { finding, notifierRig, type NotifierRig } from '../support/notifier.js';

/** Debian installs it in /usr/sbin, which not every user's PATH has. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';

/** One message as rsyslog parsed and wrote it (our template: its RFC 5424 properties as JSON). */
interface Received {
  raw: string;
  pri: string;
  protocol: string;
  facility: string;
  severity: string;
  hostname: string;
  appname: string;
  procid: string;
  msgid: string;
  sd: string;
  msg: string;
}

/** Debian's rsyslogd, run by the test in the foreground on loopback, with its own config, work dir and pid file. */
class Rsyslog {
  private child: ChildProcess | undefined;
  readonly out: string;
  private readonly conf: string;
  constructor(readonly dir: string, readonly port: number, tls?: { ca: string; cert: string; key: string }) {
    this.out = join(dir, 'received.jsonl');
    this.conf = join(dir, 'rsyslog.conf');
    const fields = ['rawmsg:rawmsg', 'pri:pri', 'protocol:protocol-version', 'facility:syslogfacility-text', 'severity:syslogseverity', 'hostname:hostname', 'appname:app-name', 'procid:procid', 'msgid:msgid', 'sd:structured-data', 'msg:msg'];
    const driver = tls ? ` DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="${tls.ca}" DefaultNetstreamDriverCertFile="${tls.cert}" DefaultNetstreamDriverKeyFile="${tls.key}"` : '';
    writeFileSync(
      this.conf,
      [
        `global(workDirectory="${dir}" maxMessageSize="64k"${driver})`,
        tls ? 'module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")' : 'module(load="imtcp")',
        'template(name="vigil" type="list" option.jsonf="on") {',
        ...fields.map((f) => `  property(outname="${f.split(':')[0]!.replace('rawmsg', 'raw')}" name="${f.split(':')[1]}" format="jsonf")`),
        '}',
        `ruleset(name="in") { action(type="omfile" file="${this.out}" template="vigil") }`,
        // Octet-counted framing is on by default in imtcp (SupportOctetCountedFraming); said here so the test states what it relies on.
        `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="in" SupportOctetCountedFraming="on")`,
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    let stderr = '';
    const child = spawn(RSYSLOGD, ['-n', '-f', this.conf, '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => (stderr += `${err.message} (install it: bash deploy/local/stack.sh tools)`));
    this.child = child;
    await waitFor(() => child.exitCode === null && canConnect(this.port), `rsyslogd listening on ${this.port}`, 15_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}; rsyslogd said: ${stderr}`);
    });
  }

  /** SIGTERM and wait for the exit: rsyslogd closes its sessions, the sender sees FIN. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  received(): Received[] {
    if (!existsSync(this.out)) return [];
    return readFileSync(this.out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Received);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A CA and a server certificate for 127.0.0.1, made with the openssl command for this run. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const p = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '1', '-subj', '/CN=vigil test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '1', '-extfile', p('ext.cnf')]);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}

const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (\[(?:[^\]\\]|\\.)*\]) (\{.*\})$/s;
const severityCode = { critical: 2, high: 3, medium: 4, low: 5, info: 6 } as const;
const facilityCode = { local4: 20, authpriv: 10 } as const;

/** SD-PARAMs of our one SD-ELEMENT, unescaped. */
function sdParams(sd: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of sd.matchAll(/ ([a-z]+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return out;
}

interface Parsed {
  msgid: string;
  params: Record<string, string>;
  doc: Record<string, unknown>;
}

/** Checks one received message against RFC 5424 (our own parse of the raw bytes and rsyslog's) and the schema; returns what identifies it. */
function check(r: Received, format: 'ocsf' | 'ecs', facility: keyof typeof facilityCode): Parsed {
  const m = RFC5424.exec(r.raw);
  expect(m, r.raw.slice(0, 200)).not.toBeNull();
  expect(r.protocol).toBe('1');
  expect(r.facility).toBe(facility);
  expect([r.hostname, r.appname, r.procid]).toEqual(['vigil-it', 'vigil', String(process.pid)]);
  expect(r.raw).toMatch(/^[\x20-\x7e]+$/);
  const params = sdParams(r.sd);
  expect(r.sd).toBe(m![7]);
  expect(Object.keys(params)).toEqual(['key', 'kind', 'incident', 'tier']);
  const doc = JSON.parse(r.msg) as Record<string, unknown>;
  expect(format === 'ocsf' ? ocsfProblems(doc) : ecsProblems(doc)).toEqual([]);
  const severity = format === 'ocsf' ? (doc.severity as string).toLowerCase() : (doc.vigil as { finding?: { severity: string }; incident?: { severity: string } });
  const sev = typeof severity === 'string' ? severity : (severity.finding ?? severity.incident)!.severity;
  expect(Number(r.pri)).toBe(facilityCode[facility] * 8 + severityCode[sev as keyof typeof severityCode]);
  expect(Number(m![1])).toBe(Number(r.pri));
  return { msgid: r.msgid, params, doc };
}

/** What the SIEM must hold for a set of findings: each finding once, and its incident's opening once (kind trigger). */
function expectDelivered(parsed: Parsed[], findings: readonly Finding[], format: 'ocsf' | 'ecs'): void {
  const findingId = (p: Parsed) => (format === 'ocsf' ? (p.doc.metadata as { uid: string }).uid : (p.doc.event as { id: string }).id);
  for (const f of findings) {
    const asFinding = parsed.filter((p) => p.msgid === 'finding' && findingId(p) === f.id);
    expect(asFinding, `finding ${f.id}`).toHaveLength(1);
    const incident = asFinding[0]!.params.incident!;
    const opened = parsed.filter((p) => p.msgid === 'incident-opened' && p.params.incident === incident);
    expect(opened, `incident ${incident} opened`).toHaveLength(1);
    expect(opened[0]!.params.kind).toBe('trigger');
  }
}

const SUBJECTS = { n: 0 };
const highFindings = (count: number): Finding[] => Array.from({ length: count }, () => finding({ severity: 'high', subject: { kind: 'ip', value: `198.51.100.${++SUBJECTS.n}` } }));

async function rigFor(channel: Record<string, unknown>): Promise<NotifierRig> {
  const rig = await notifierRig({
    repeatIntervalMs: 0,
    resolveAfterMs: 24 * 3_600_000,
    tiers: { notify: ['siem'] },
    findingChannels: ['siem'],
    channels: { siem: { type: 'syslog', host: '127.0.0.1', hostname: 'vigil-it', timeoutMs: 2000, ...channel } },
  });
  await rig.start();
  return rig;
}

/**
 * Messages before a stop, messages while rsyslogd is down (each send is
 * refused, retried by the outbox), rsyslogd back: every one arrives exactly
 * once. The stop falls between sends: see docs/siem.md for what TCP syslog
 * cannot promise about a message written in the instant the receiver dies.
 */
async function restartScenario(rig: NotifierRig, rsyslog: Rsyslog, format: 'ocsf' | 'ecs', facility: keyof typeof facilityCode): Promise<void> {
  const first = highFindings(3);
  await rig.publish(first);
  await waitFor(() => rsyslog.received().length >= 6, 'the first 3 findings and their 3 incidents at rsyslog');

  await rsyslog.stop();
  const failedBefore = rig.logs.filter((l) => l.msg === 'notification failed; will retry' && l.channel === 'siem').length;
  const second = highFindings(3);
  await rig.publish(second);
  const refused = await waitFor(() => rig.logs.find((l) => l.msg === 'notification failed; will retry' && l.channel === 'siem' && String(l.reason).includes('ECONNREFUSED')), 'a refused delivery while rsyslogd is down');
  expect(rig.logs.filter((l) => l.msg === 'notification failed; will retry' && l.channel === 'siem').length).toBeGreaterThan(failedBefore);
  expect(String(refused.reason)).toMatch(/^syslog channel siem: (tcp|tls):\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  expect(rsyslog.received()).toHaveLength(6);

  await rsyslog.start();
  await waitFor(() => rsyslog.received().length >= 12, 'the 3 findings and 3 incidents held while rsyslogd was down', 60_000);
  // Give a stray duplicate time to show up before counting.
  await new Promise((r) => setTimeout(r, 1500));
  const parsed = rsyslog.received().map((r) => check(r, format, facility));
  expect(parsed).toHaveLength(12);
  expectDelivered(parsed, [...first, ...second], format);
}

describe('the syslog channel against a real rsyslogd, through the notifier and its outbox', () => {
  const dirs: string[] = [];
  const receivers: Rsyslog[] = [];
  const rigs: NotifierRig[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
    dirs.push(d);
    return d;
  };
  beforeAll(() => {
    expect(execFileSync(RSYSLOGD, ['-v'], { encoding: 'utf8' })).toMatch(/^rsyslogd  ?8\./);
  });
  afterAll(async () => {
    await Promise.all(rigs.map((r) => r.close()));
    await Promise.all(receivers.map((r) => r.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('over TCP with octet counting, OCSF: every finding and incident change arrives exactly once across an rsyslogd restart', async () => {
    const rsyslog = new Rsyslog(tempDir(), await freePort());
    receivers.push(rsyslog);
    await rsyslog.start();
    const rig = await rigFor({ port: rsyslog.port });
    rigs.push(rig);
    await restartScenario(rig, rsyslog, 'ocsf', 'local4');
  });

  it('over TLS (RFC 5425) with a CA made for the test, ECS and authpriv: the same, across a restart', async () => {
    const dir = tempDir();
    const tls = makeCertificates(dir);
    const rsyslog = new Rsyslog(dir, await freePort(), tls);
    receivers.push(rsyslog);
    await rsyslog.start();
    const rig = await rigFor({ port: rsyslog.port, format: 'ecs', facility: 'authpriv', tls: { ca: { file: tls.ca }, servername: 'localhost' } });
    rigs.push(rig);
    await restartScenario(rig, rsyslog, 'ecs', 'authpriv');
  });

  it('over TLS, a receiver whose certificate the CA did not sign gets nothing: the failure is retried, never sent in clear', async () => {
    const dir = tempDir();
    const rsyslog = new Rsyslog(dir, await freePort(), makeCertificates(dir));
    receivers.push(rsyslog);
    await rsyslog.start();
    const other = makeCertificates(tempDir());
    const rig = await rigFor({ port: rsyslog.port, tls: { ca: { file: other.ca }, servername: 'localhost' } });
    rigs.push(rig);
    await rig.publish(highFindings(1));
    const failed = await waitFor(() => rig.logs.find((l) => l.msg === 'notification failed; will retry' && l.channel === 'siem'), 'a failed TLS delivery');
    expect(String(failed.reason)).toMatch(/^syslog channel siem: tls:\/\/127\.0\.0\.1:\d+ failed: /);
    expect(String(failed.reason)).toMatch(/certificate|self.signed|verify/i);
    expect(rsyslog.received()).toEqual([]);
  });
});
