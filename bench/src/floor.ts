/**
 * The floor under the detector's rate (`BENCH_FLOOR`, a diagnostic of
 * `npm run bench`): what any detector has to do with each event before it
 * can judge anything, measured against the bare consumer in the same run.
 *
 * - `decode`: decode and validate each message (the service's codec) and
 *   enrich it (route template, object id, login route, automation agent).
 * - `count`: that, and count each event as it is decoded into the least state
 *   the detectors read: per api, route and minute a flat array of counts and
 *   latency bins; per acting subject its 5-minute window's counts, its minutes,
 *   its inter-arrival gaps, and its distinct object ids per route (capped). No
 *   Redis, no hours or baselines, no evidence, no views, no detectors.
 * - `sorted`: `count`, but as the engine orders its work: the whole batch is
 *   decoded, then sorted by event time, then counted.
 *
 * Whatever the engine adds past `count` has to fit between this floor and the
 * target rate (docs/performance.md).
 */
import { createCodec, transactionContract, type ApiTransaction } from '@vigil/contracts';
import { createEnricher, defaultDetectorsConfig, type EnrichedEvent } from '@vigil/detectors';
import { DecodeError } from '@vigil/errors';
import type { KafkaClient } from '@vigil/kafka';

export type FloorMode = 'decode' | 'count' | 'sorted';

export function floorMode(value: string | undefined): FloorMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'decode' || value === 'count' || value === 'sorted') return value;
  throw new Error(`BENCH_FLOOR is ${value}: use decode, count or sorted`);
}

const MINUTE = 60_000;
const WINDOW_5M = 300_000;
/** Route counts: n, 4xx, 5xx, latency sum, response bytes, then latency bins (log2 of ms). */
const ROUTE_FIELDS = 32;
const LATENCY_BIN0 = 5;
/** Subject window counts: n, 4xx, automation agent, bytes, gaps n / sum / squares, then minutes m0…m4. */
const SUBJECT_FIELDS = 12;
const MINUTE0 = 7;

interface SubjectCounts {
  w5: number;
  counts: Float64Array;
  lastSeen: number;
  /** Distinct object ids by route template, in the current window. */
  objects: Map<string, Set<string>>;
}

export interface FloorCounter {
  /** The engine's enrichment (detectors' default login route pattern). */
  readonly enrich: (event: ApiTransaction) => EnrichedEvent;
  count(e: EnrichedEvent): void;
  /** Routes and subjects counted so far (and proof the counts are used). */
  size(): { routes: number; subjects: number };
}

export function createFloorCounter(): FloorCounter {
  const routesByApi = new Map<string, Map<string, Map<number, Float64Array>>>();
  const subjectsByApi = new Map<string, Map<string, SubjectCounts>>();
  return {
    enrich: createEnricher(defaultDetectorsConfig.credential_stuffing.loginRoutePattern),
    count(e) {
      let routes = routesByApi.get(e.api);
      if (!routes) routesByApi.set(e.api, (routes = new Map()));
      let minutes = routes.get(e.route);
      if (!minutes) routes.set(e.route, (minutes = new Map()));
      const m = Math.floor(e.timestamp / MINUTE);
      let rc = minutes.get(m);
      if (!rc) minutes.set(m, (rc = new Float64Array(ROUTE_FIELDS)));
      rc[0]!++;
      if (e.status >= 400 && e.status < 500) rc[1]!++;
      if (e.status >= 500) rc[2]!++;
      rc[3]! += e.latencyMs;
      if (e.responseBytes !== undefined) rc[4]! += e.responseBytes;
      rc[LATENCY_BIN0 + Math.min(ROUTE_FIELDS - LATENCY_BIN0 - 1, Math.floor(Math.log2(1 + e.latencyMs)))]!++;
      if (e.direction !== 'inbound') return;
      const who = e.principal ?? e.clientIp ?? e.clientId;
      if (who === undefined) return;
      let subjects = subjectsByApi.get(e.api);
      if (!subjects) subjectsByApi.set(e.api, (subjects = new Map()));
      const w5 = Math.floor(e.timestamp / WINDOW_5M);
      let s = subjects.get(who);
      if (!s) subjects.set(who, (s = { w5, counts: new Float64Array(SUBJECT_FIELDS), lastSeen: 0, objects: new Map() }));
      if (s.w5 !== w5) {
        s.w5 = w5;
        s.counts.fill(0);
        s.objects.clear();
      }
      const c = s.counts;
      c[0]!++;
      if (e.status >= 400 && e.status < 500) c[1]!++;
      if (e.automationAgent) c[2]!++;
      if (e.responseBytes !== undefined) c[3]! += e.responseBytes;
      const gap = e.timestamp - s.lastSeen;
      if (gap > 0 && gap <= MINUTE) {
        c[4]!++;
        c[5]! += gap;
        c[6]! += gap * gap;
      }
      if (e.timestamp > s.lastSeen) s.lastSeen = e.timestamp;
      c[MINUTE0 + Math.min(4, m - w5 * 5)]!++;
      if (e.objectId !== undefined) {
        let ids = s.objects.get(e.route);
        if (!ids) s.objects.set(e.route, (ids = new Set()));
        if (ids.size < 1000) ids.add(e.objectId);
      }
    },
    size() {
      let routes = 0;
      let subjects = 0;
      for (const r of routesByApi.values()) routes += r.size;
      for (const s of subjectsByApi.values()) subjects += s.size;
      return { routes, subjects };
    },
  };
}

export interface FloorRun {
  kafka: KafkaClient;
  topic: string;
  /** Events on the topic: the run ends when it has consumed them all. */
  events: number;
  groupId: string;
  maxBytesPerPartition: number;
  partitionsConcurrently: number;
}

/** Consumes the topic from the beginning as `mode` says; returns events per second. */
export async function measureFloor(mode: FloorMode, run: FloorRun): Promise<number> {
  const codec = createCodec(transactionContract, { topic: run.topic });
  const counter = createFloorCounter();
  let consumed = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = run.kafka.consumer({
    groupId: run.groupId,
    topics: [run.topic],
    fromBeginning: true,
    maxBytesPerPartition: run.maxBytesPerPartition,
    partitionsConcurrently: run.partitionsConcurrently,
    eachBatch: async (batch) => {
      const decoded = await codec.decodeAll(
        batch.messages.map((m) => m.value),
        (event) => {
          const e = counter.enrich(event);
          if (mode === 'count') counter.count(e);
          return e;
        },
      );
      if (mode === 'sorted') {
        const events = decoded.filter((e): e is EnrichedEvent => !(e instanceof DecodeError));
        events.sort((a, b) => a.timestamp - b.timestamp);
        for (const e of events) counter.count(e);
      }
      consumed += batch.messages.length;
      if (consumed >= run.events) done();
    },
  });
  const started = Date.now();
  await consumer.start();
  await finished;
  const perSec = Math.round(run.events / ((Date.now() - started) / 1000));
  await consumer.stop();
  const { routes, subjects } = counter.size();
  if (mode !== 'decode' && (routes === 0 || subjects === 0)) throw new Error(`the ${mode} floor counted no route or subject`);
  return perSec;
}
