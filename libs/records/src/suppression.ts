import { createHash } from 'node:crypto';
import { z } from 'zod';
import { detectorNames, subjectKinds, type Finding } from '@vigil/contracts';

/**
 * A suppression is a false-positive verdict made durable: findings of one
 * detector within one scope are not published (detector) and not escalated
 * (notifier) until it expires or someone removes it. Pure: no I/O, no clock.
 */

export const suppressionScopeSchema = z.discriminatedUnion('kind', [
  /** This detector, about this subject (a principal, IP, client…). */
  z.object({ kind: z.literal('subject'), subjectKind: z.enum(subjectKinds), value: z.string().min(1).max(1024) }).strict(),
  /** This detector, on this api (and route, when given). */
  z.object({ kind: z.literal('route'), api: z.string().min(1).max(256), route: z.string().min(1).max(1024).optional() }).strict(),
]);

export const suppressionSchema = z
  .object({
    id: z.string().regex(/^sup-[A-Za-z0-9_-]{1,40}$/),
    detector: z.enum(detectorNames),
    scope: suppressionScopeSchema,
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
    createdBy: z.string().max(256),
    incidentId: z.string().max(128).optional(),
    reason: z.string().max(1000).optional(),
  })
  .strict();

export type SuppressionScope = z.output<typeof suppressionScopeSchema>;
export type Suppression = z.output<typeof suppressionSchema>;

/** The same detector and scope always give the same id: a second verdict extends the first. */
export function suppressionId(detector: string, scope: SuppressionScope): string {
  const parts = scope.kind === 'subject' ? [detector, 'subject', scope.subjectKind, scope.value] : [detector, 'route', scope.api, scope.route ?? ''];
  return `sup-${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 20)}`;
}

/** The scope a verdict on this finding asks for. */
export function scopeOf(f: Pick<Finding, 'api' | 'route' | 'subject'>, kind: SuppressionScope['kind']): SuppressionScope {
  if (kind === 'subject') return { kind: 'subject', subjectKind: f.subject.kind, value: f.subject.value };
  return f.route === undefined ? { kind: 'route', api: f.api } : { kind: 'route', api: f.api, route: f.route };
}

export function covers(s: Pick<Suppression, 'detector' | 'scope' | 'expiresAt'>, f: Pick<Finding, 'detector' | 'api' | 'route' | 'subject'>, now: number): boolean {
  if (s.expiresAt <= now || s.detector !== f.detector) return false;
  if (s.scope.kind === 'subject') return f.subject.kind === s.scope.subjectKind && f.subject.value === s.scope.value;
  return f.api === s.scope.api && (s.scope.route === undefined || f.route === s.scope.route);
}
