import { z } from 'zod';
import { directions, type Direction } from './names.js';
import { compact, count, optional, stringMap, text, timestamp } from './fields.js';

/** ApiTransaction v1, as held in memory after decoding (timestamp in epoch ms, absent optionals omitted). */
export interface ApiTransaction {
  id: string;
  timestamp: number;
  direction: Direction;
  api: string;
  method: string;
  path: string;
  route?: string;
  status: number;
  latencyMs: number;
  requestBytes?: number;
  responseBytes?: number;
  clientIp?: string;
  principal?: string;
  clientId?: string;
  userAgent?: string;
  responseSignature?: string;
  contentType?: string;
  rateLimitLimit?: number;
  rateLimitRemaining?: number;
  tags?: Record<string, string>;
}

/** The wire form accepted from producers: the same fields, with an RFC 3339 string or epoch ms as timestamp. */
export type ApiTransactionInput = Omit<ApiTransaction, 'timestamp'> & { timestamp: string | number };

export const apiTransactionFields = {
  id: text(1, 256),
  timestamp: timestamp(),
  direction: z.enum(directions, { errorMap: () => ({ message: `expected one of ${directions.join(', ')}` }) }),
  api: text(1, 256),
  method: z.string({ invalid_type_error: 'expected a string' }).regex(/^[A-Za-z]{1,16}$/, 'expected an HTTP method (1-16 letters)'),
  path: text(1, 8192),
  route: optional(text(1, 8192)),
  status: z.number({ invalid_type_error: 'expected an integer' }).int('expected an integer').min(100, 'must be 100 or more').max(599, 'must be 599 or less'),
  latencyMs: z.number({ invalid_type_error: 'expected a number' }).min(0, 'must be 0 or more').finite(),
  requestBytes: optional(count()),
  responseBytes: optional(count()),
  clientIp: optional(text(0, 64)),
  principal: optional(text(0, 512)),
  clientId: optional(text(0, 512)),
  userAgent: optional(text(0, 2048)),
  responseSignature: optional(text(0, 256)),
  contentType: optional(text(0, 256)),
  rateLimitLimit: optional(count()),
  rateLimitRemaining: optional(count()),
  tags: optional(stringMap(64, 1024)),
};

export const apiTransactionSchema: z.ZodType<ApiTransaction, z.ZodTypeDef, unknown> = z
  .object(apiTransactionFields)
  .transform((v) => compact(v) as ApiTransaction);
