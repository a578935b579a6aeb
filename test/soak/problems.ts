import type { SoakReport } from './types.js';

/** The bounds the soak holds the run to; empty when it passed. */
export function soakProblems(r: SoakReport, limits: { growthPct?: number; lagSeconds?: number } = {}): string[] {
  const growthPct = limits.growthPct ?? 10;
  const lagBound = (limits.lagSeconds ?? 30) * r.rate;
  const problems = memoryProblems(r, growthPct);
  if (r.lagMaxAfterWarmup > lagBound) problems.push(`consumer lag reached ${r.lagMaxAfterWarmup} after the warm-up (bound ${lagBound}: ${limits.lagSeconds ?? 30} s of traffic)`);
  if (r.eventsConsumed !== r.eventsProduced || r.lagEnd !== 0) problems.push(`the detector did not catch up: consumed ${r.eventsConsumed} of ${r.eventsProduced}, lag ${r.lagEnd} after a ${r.drainSeconds} s drain`);
  if (r.achievedRate < r.rate * 0.95) problems.push(`the producer held ${r.achievedRate} events/s, not ${r.rate}`);
  if (r.deadLetters !== r.malformedProduced) problems.push(`${r.deadLetters} dead letters for ${r.malformedProduced} malformed messages`);
  if (r.logs.secretsFound.length > 0) problems.push(`secrets in the logs: ${r.logs.secretsFound.join(', ')}`);
  if (!r.webhookSignaturesValid) problems.push('webhook deliveries with a wrong signature');
  if (r.exitCodes.detector !== 0 || r.exitCodes.notifier !== 0) problems.push(`exit codes: detector ${r.exitCodes.detector}, notifier ${r.exitCodes.notifier}`);
  return problems;
}

/** The processes' memory (RSS or live heap, as the report says) and the Redis keys': growth past the bound, keys over their cap or without a TTL. */
function memoryProblems(r: SoakReport, growthPct: number): string[] {
  const problems: string[] = [];
  if (r.memoryMeasure === 'rss') {
    if (r.rssGrowthPct >= growthPct) problems.push(`detector RSS grew ${r.rssGrowthPct}% after the warm-up (bound ${growthPct}%)`);
    if (r.notifierRssGrowthPct >= growthPct) problems.push(`notifier RSS grew ${r.notifierRssGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  } else {
    if (r.liveHeapGrowthPct >= growthPct) problems.push(`the detector's live heap grew ${r.liveHeapGrowthPct}% after the warm-up (bound ${growthPct}%)`);
    if (r.notifierLiveHeapGrowthPct >= growthPct) problems.push(`the notifier's live heap grew ${r.notifierLiveHeapGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  }
  if (r.redisKeyGrowthPct >= growthPct) {
    const worst = Object.entries(r.redisFamilies).find(([, f]) => f.share >= 0.05 && f.growthPct === r.redisKeyGrowthPct)?.[0] ?? '?';
    const what = r.redisFamilies[worst]?.entryCap !== undefined ? 'bytes per entry' : 'largest key';
    problems.push(`the ${what} of Redis key family ${worst} grew ${r.redisKeyGrowthPct}% after the warm-up (bound ${growthPct}%)`);
  }
  for (const over of r.redisOverCap) problems.push(`a Redis key over its entry cap: ${over}`);
  if (r.redisKeysWithoutTtl > 0) problems.push(`${r.redisKeysWithoutTtl} soak keys without a TTL`);
  return problems;
}
