import { describe, expect, it } from 'vitest';
import { loadNotifierConfig } from './config.js';

describe('notifier config errors name what fixes them', () => {
  it('a missing API token names both variables and the file key', () => {
    expect(() => loadNotifierConfig({})).toThrow('NOTIFIER_API_TOKEN or NOTIFIER_API_TOKEN_FILE (or api.token in the VIGIL_CONFIG file): is required');
  });

  it('a token too short names the variable that set it', () => {
    expect(() => loadNotifierConfig({ NOTIFIER_API_TOKEN: 'short' })).toThrow('NOTIFIER_API_TOKEN (secret): the API token must be at least 16 characters');
  });

  it('an unreadable token file names the variable and the file', () => {
    expect(() => loadNotifierConfig({ NOTIFIER_API_TOKEN_FILE: '/nonexistent/token' })).toThrow('NOTIFIER_API_TOKEN_FILE: cannot read the secret file /nonexistent/token: ENOENT');
  });

  it('takes the lockout settings with defaults', () => {
    const config = loadNotifierConfig({ NOTIFIER_API_TOKEN: '0123456789abcdef' });
    expect(config.api.lockout).toEqual({ failures: 10, windowMs: 60_000, blockMs: 300_000, maxAddresses: 10_000 });
  });
});
