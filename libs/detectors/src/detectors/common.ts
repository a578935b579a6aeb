import { z } from 'zod';
import type { Severity } from '@vigil/contracts';
import type { FindingDraft } from '../types.js';

/** Building blocks of the detectors' config sections; units are in the names. */
export const ratio = z.number().min(0);
export const positiveInt = z.number().int().min(1);
/** A detector's configured severity, which replaces the one it computes. */
/** A key an older version read and this one does not: a config file that still sets it is told what replaced it. */
export const retired = (instead: string) => z.unknown().optional().refine((v) => v === undefined, { message: `no longer used: ${instead}; remove it` });

export const severityOverride = z.enum(['info', 'low', 'medium', 'high', 'critical']).optional();

/** OWASP API Security Top 10 (2023) ids used by the detectors. */
export const OWASP = Object.freeze({
  BOLA: 'API1:2023',
  BROKEN_AUTH: 'API2:2023',
  PROPERTY_EXPOSURE: 'API3:2023',
  RESOURCE_CONSUMPTION: 'API4:2023',
  BUSINESS_FLOWS: 'API6:2023',
  INVENTORY: 'API9:2023',
  UNSAFE_CONSUMPTION: 'API10:2023',
});

/** The configured severity override when set, else the computed one. */
export function severityOr(override: Severity | undefined, computed: Severity): Severity {
  return override ?? computed;
}

/** At most `max` items: finding eventIds and evidence samples stay bounded. */
export function sample<T>(items: readonly T[], max = 20): T[] {
  return items.length <= max ? [...items] : items.slice(0, max);
}

/** A window [start, end) of `sizeMs` aligned to the epoch that contains `t`. */
export function alignedWindow(t: number, sizeMs: number): { windowStart: number; windowEnd: number } {
  const windowStart = Math.floor(t / sizeMs) * sizeMs;
  return { windowStart, windowEnd: windowStart + sizeMs };
}

/** Confidence from a score that is 0 at `threshold` and approaches 1 as it grows to `strong`. */
export function confidenceFrom(value: number, threshold: number, strong: number): number {
  if (value <= threshold) return 0.5;
  const x = Math.min(1, (value - threshold) / Math.max(1e-9, strong - threshold));
  return Math.round((0.5 + 0.49 * x) * 1000) / 1000;
}

/** Cuts text (attacker-controlled included) for titles, descriptions and evidence, marking the cut with an ellipsis. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export function formatMinutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export type { FindingDraft };
