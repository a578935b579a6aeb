import { z } from 'zod';
import { suppressionId, suppressionSchema, type SuppressionScope } from './suppression.js';

/**
 * A confirmation is a true-positive verdict made durable: while it lasts, the
 * detector never learns what it covers as business-as-usual (an attack that
 * recurs at the same minute of every hour stays news, however often it does).
 * It has a suppression's fields; a false-positive verdict is the suppression.
 */
export const confirmationSchema = suppressionSchema.extend({ id: z.string().regex(/^cnf-[A-Za-z0-9_-]{1,40}$/) }).strict();

export type Confirmation = z.output<typeof confirmationSchema>;

/** The same detector and scope always give the same id: a second verdict extends the first. */
export function confirmationId(detector: string, scope: SuppressionScope): string {
  return `cnf-${suppressionId(detector, scope).slice('sup-'.length)}`;
}
