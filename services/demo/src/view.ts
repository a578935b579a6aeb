import type { Finding, Incident, Severity, Tier } from '@vigil/contracts';

/** Terminal rendering for the demo: colour when stdout is a terminal, plain text otherwise. */
export function createView(colour: boolean) {
  const paint = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = paint('1');
  const dim = paint('2');
  const green = paint('32');
  const cyan = paint('36');
  const severityPaint: Record<Severity, (s: string) => string> = { info: dim, low: dim, medium: paint('33'), high: paint('1;33'), critical: paint('1;31') };
  const tierBadge: Record<Tier, string> = { log: paint('7;37')(' LOG '), notify: paint('7;33')(' NOTIFY '), wake_up: paint('7;31')(' WAKE UP ') };
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  return {
    heading: (s: string) => `\n${bold(s)}`,
    step: (s: string) => `${cyan('›')} ${s}`,
    ok: (s: string) => `${green('✓')} ${s}`,
    bad: (s: string) => `${paint('31')('✗')} ${s}`,
    finding: (f: Finding) => `${dim(hhmm(f.detectedAt))} ${severityPaint[f.severity](f.severity.padEnd(8))} ${f.detector.padEnd(22)} ${f.title}`,
    incident: (i: Incident) => `${dim(hhmm(i.lastSeenAt))} ${tierBadge[i.tier]} ${i.change.padEnd(9)} ${i.title}${i.reason ? dim(`  (${i.reason})`) : ''}`,
    page: (what: string) => `      ${paint('1;31')('☎')} ${what}`,
    progress: (p: { at: number; events: number; findings: number; tiers: Record<Tier, number> }) =>
      dim(`⏱ ${hhmm(p.at)} simulated · ${p.events.toLocaleString('en')} events · ${p.findings} findings · incidents: log ${p.tiers.log}, notify ${p.tiers.notify}, wake up ${p.tiers.wake_up}`),
  };
}
