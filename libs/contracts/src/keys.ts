import type { ApiTransaction } from './transaction.js';

/** The Kafka key of an ApiTransaction (DESIGN.md): the principal, else the client IP (else the client id, else the api). */
export function transactionKey(e: Pick<ApiTransaction, 'principal' | 'clientIp' | 'clientId' | 'api'>): string {
  return e.principal ?? e.clientIp ?? e.clientId ?? e.api;
}
