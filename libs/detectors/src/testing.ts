import type { ApiTransaction, Finding } from '@vigil/contracts';
import { cleanDay, createRandom, steadyTraffic, type CleanDayOptions, type SteadyTrafficOptions } from '@vigil/simulator';
import { detectorsConfigSchema } from './config.js';
import { DetectionEngine } from './engine.js';
import { MemoryStateStore } from '@vigil/state';
import type { StateStore } from '@vigil/state';
import { createThreatMatcher, type ThreatEntry } from './threats.js';
import type { AnyDetector } from './types.js';
import type { VerdictLookup } from './engine/stages/episodes.js';

/**
 * Helpers for detector tests: build events, build background traffic, and
 * run events through the real engine over in-memory state.
 */

export const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
/** One event with sensible defaults; override anything. */
export function tx(overrides: Partial<ApiTransaction> = {}): ApiTransaction {
  seq++;
  return {
    id: `t-${seq}`,
    timestamp: T0,
    direction: 'inbound',
    api: 'accounts',
    method: 'GET',
    path: '/health',
    status: 200,
    latencyMs: 20,
    responseBytes: 500,
    clientIp: '198.51.100.1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    ...overrides,
  };
}

/** A tiny deterministic PRNG: the simulator's mulberry32, so background traffic is the same in every run. */
export function rng(seed: number): () => number {
  return createRandom(seed).next;
}

export type BackgroundOptions = SteadyTrafficOptions;

/**
 * Ordinary traffic: the simulator's steadyTraffic preset. Its events count in
 * tx()'s sequence as if each had come from tx(), so the ids of the events a
 * test makes after it are the ones its findings were written against.
 */
export function background(o: BackgroundOptions): ApiTransaction[] {
  const events = steadyTraffic(o);
  seq += events.length;
  return events;
}

export interface DetectOptions {
  /** Overrides of the detector config (as in the config file's `detectors:` section). */
  config?: Record<string, unknown>;
  /** Events per engine batch (default 500). */
  batchSize?: number;
  threats?: ThreatEntry[];
  detectors?: readonly AnyDetector[];
  store?: StateStore;
  /** The verdicts on incidents the engine sees (the detector service reads them from the notifier's records). */
  verdictOf?: VerdictLookup;
}

/** Runs events (sorted by time) through the engine over in-memory state; returns every finding published. */
export async function detect(events: readonly ApiTransaction[], options: DetectOptions = {}): Promise<Finding[]> {
  const engine = new DetectionEngine({
    config: detectorsConfigSchema.parse(options.config ?? {}),
    store: options.store ?? new MemoryStateStore(),
    detectors: options.detectors,
    loadThreats: options.threats ? async () => createThreatMatcher(options.threats!) : undefined,
    verdictOf: options.verdictOf,
  });
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const size = options.batchSize ?? 500;
  const findings: Finding[] = [];
  for (let i = 0; i < sorted.length; i += size) {
    const { findings: batch } = await engine.process(sorted.slice(i, i + size));
    await engine.markPublished(batch);
    findings.push(...batch);
  }
  return findings;
}

/** Findings of one detector. */
export function only(findings: readonly Finding[], detector: Finding['detector']): Finding[] {
  return findings.filter((f) => f.detector === detector);
}

/**
 * One finding per window: a window published again, raised or revised (evidence `updates`), replaces its
 * earlier publication, in the first one's place. What a reader of the findings topic ends up knowing.
 */
export function latest(findings: readonly Finding[]): Finding[] {
  const byWindow = new Map<string, Finding>();
  for (const f of findings) byWindow.set(typeof f.evidence.updates === 'string' ? f.evidence.updates : f.id, f);
  return [...byWindow.values()];
}

export type DayOptions = CleanDayOptions;

// A clean simulated day without attacks (the simulator's cleanDay preset): detectors should stay quiet on it.
export { cleanDay };

export { apiMinute, apiWindow, contextFor, CONTEXT_NOW, loginWindow, routeStats, routeWindow, runDetector, sequentialIds, slotCalls, subjectRouteWindow, subjectWindow, type ContextParts } from './testing-context.js';
