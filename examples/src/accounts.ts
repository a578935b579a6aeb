/**
 * The example apps' pretend domain: accounts owned by users, a bearer token
 * that names the user (`Bearer demo-alice`), and a payments provider the apps
 * call out to. Both apps serve the same routes from it.
 */
export interface Account {
  id: number;
  owner: string;
  balance: { amount: number; currency: string };
}

/** Accounts 1000–1999 belong to alice, the rest to bob; there is no account above 100000. */
export function findAccount(id: number): Account | undefined {
  if (!Number.isInteger(id) || id < 1 || id > 100_000) return undefined;
  return { id, owner: id >= 1000 && id < 2000 ? 'alice' : 'bob', balance: { amount: (id * 37) % 10_000, currency: 'EUR' } };
}

/** The user a demo bearer token names, or undefined. */
export function userOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer demo-([a-z][a-z0-9-]{0,31})$/.exec(authorization ?? '');
  return m?.[1];
}

/**
 * The example's authorization check is deliberately broken for ids ending
 * in 0 (a BOLA bug): anyone may read those accounts. Others answer 403.
 */
export function mayRead(user: string, account: Account): boolean {
  return account.owner === user || account.id % 10 === 0;
}

export interface ExampleOptions {
  /** Base URL of the payments provider POST /payments forwards to (a fake one in tests). */
  providerUrl?: string;
}
