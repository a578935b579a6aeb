import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { matcherSchema } from '@vigil/notifier-core';

/**
 * A silence mutes notifications (not findings, not incidents) of every
 * incident its matcher selects until it expires, after Alertmanager's
 * silences. Made through `POST /incidents/:id/silence` with a matcher.
 */
export const silenceSchema = z
  .object({
    id: z.string().regex(/^sil-[A-Za-z0-9_-]{1,40}$/),
    matcher: matcherSchema,
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
    createdBy: z.string().max(256),
    incidentId: z.string().max(128).optional(),
    comment: z.string().max(1000).optional(),
  })
  .strict();

export type Silence = z.output<typeof silenceSchema>;

export function newSilenceId(): string {
  return `sil-${randomBytes(12).toString('base64url')}`;
}
