import type { Severity } from '@vigil/contracts';
import { findingToEcs, findingToOcsf, incidentChangeToEcs, incidentChangeToOcsf, type SiemOptions } from '@vigil/siem';
import type { Message } from './types.js';

/** The schema a SIEM channel writes: OCSF Detection Finding (class 2004) or an ECS alert document. */
export type SiemFormat = 'ocsf' | 'ecs';

/** What a SIEM channel says about one message: the document, its time, severity and a short type name. */
export interface SiemRecord {
  doc: Record<string, unknown>;
  /** Epoch ms the document is about (the finding's detection, the incident's change). */
  time: number;
  severity: Severity;
  /** `finding`, or `incident-<change>` (`incident-opened`, `incident-resolved`, …). */
  type: string;
}

/** Maps a message to its SIEM document: a finding as itself, anything else as the incident change it carries. */
export function siemRecord(m: Message, format: SiemFormat, options: SiemOptions = {}): SiemRecord {
  if (m.kind === 'finding' && m.finding) {
    const f = m.finding;
    return { doc: asRecord(format === 'ocsf' ? findingToOcsf(f, options) : findingToEcs(f, options)), time: f.detectedAt, severity: f.severity, type: 'finding' };
  }
  const i = m.incident;
  return { doc: asRecord(format === 'ocsf' ? incidentChangeToOcsf(i, options) : incidentChangeToEcs(i, options)), time: i.changedAt, severity: i.severity, type: `incident-${i.change}` };
}

const asRecord = (doc: object): Record<string, unknown> => doc as Record<string, unknown>;

/**
 * JSON with every character outside printable ASCII escaped (\uXXXX): the
 * same value, but no byte a line-based or legacy receiver could misread.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
