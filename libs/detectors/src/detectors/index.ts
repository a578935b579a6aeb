import type { Detector } from '../types.js';
import { bolaEnumeration } from './bola-enumeration.js';
import { bot } from './bot.js';
import { credentialStuffing } from './credential-stuffing.js';
import { burst } from './burst.js';
import { volumeAnomaly } from './volume-anomaly.js';
import { errorRate } from './error-rate.js';
import { latencyDegradation } from './latency-degradation.js';
import { responseSize } from './response-size.js';
import { schemaDrift } from './schema-drift.js';
import { rateLimitExhaustion } from './rate-limit-exhaustion.js';
import { knownThreat } from './known-threat.js';
import { largeResponse } from './large-response.js';

/** The twelve detectors of DESIGN.md, in its order. */
export const allDetectors: readonly Detector[] = Object.freeze([
  bolaEnumeration,
  bot,
  credentialStuffing,
  burst,
  volumeAnomaly,
  errorRate,
  latencyDegradation,
  responseSize,
  schemaDrift,
  rateLimitExhaustion,
  knownThreat,
  largeResponse,
]);

export { bolaEnumeration, bot, credentialStuffing, burst, volumeAnomaly, errorRate, latencyDegradation, responseSize, schemaDrift, rateLimitExhaustion, knownThreat, largeResponse };
