import { bolaEnumeration } from './bola-enumeration/index.js';
import { bot } from './bot/index.js';
import { burst } from './burst/index.js';
import { credentialStuffing } from './credential-stuffing/index.js';
import { errorRate } from './error-rate/index.js';
import { knownThreat } from './known-threat/index.js';
import { largeResponse } from './large-response/index.js';
import { latencyDegradation } from './latency-degradation/index.js';
import { rateLimitExhaustion } from './rate-limit-exhaustion/index.js';
import { responseSize } from './response-size/index.js';
import { schemaDrift } from './schema-drift/index.js';
import { volumeAnomaly } from './volume-anomaly/index.js';
import { newEndpoint } from './new-endpoint/index.js';
import { shadowEndpoint } from './shadow-endpoint/index.js';
import { zombieEndpoint } from './zombie-endpoint/index.js';
import { unauthenticatedAccess } from './unauthenticated-access/index.js';

/** The detectors of DESIGN.md, in its order: the order they run in, and their config sections'. */
export const allDetectors = Object.freeze([
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
  newEndpoint,
  shadowEndpoint,
  zombieEndpoint,
  unauthenticatedAccess,
] as const);

export { bolaEnumeration, bot, credentialStuffing, burst, volumeAnomaly, errorRate, latencyDegradation, responseSize, schemaDrift, rateLimitExhaustion, knownThreat, largeResponse, newEndpoint, shadowEndpoint, zombieEndpoint, unauthenticatedAccess };
