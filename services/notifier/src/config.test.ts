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

  it('takes a read-only token from NOTIFIER_API_READ_TOKEN, at least 16 characters and not the API token', () => {
    expect(loadNotifierConfig({ NOTIFIER_API_TOKEN: '0123456789abcdef', NOTIFIER_API_READ_TOKEN: 'viewer-0123456789' }).api.readToken).toBe('viewer-0123456789');
    expect(loadNotifierConfig({ NOTIFIER_API_TOKEN: '0123456789abcdef' }).api.readToken).toBeUndefined();
    expect(() => loadNotifierConfig({ NOTIFIER_API_TOKEN: '0123456789abcdef', NOTIFIER_API_READ_TOKEN: 'short' })).toThrow('NOTIFIER_API_READ_TOKEN (secret): the read-only API token must be at least 16 characters');
    expect(() => loadNotifierConfig({ NOTIFIER_API_TOKEN: '0123456789abcdef', NOTIFIER_API_READ_TOKEN: '0123456789abcdef' })).toThrow('the read-only API token must differ from the API token');
  });

  it('never echoes the read-only token in an error', () => {
    try {
      loadNotifierConfig({ NOTIFIER_API_TOKEN: 'same-secret-value-42', NOTIFIER_API_READ_TOKEN: 'same-secret-value-42' });
      throw new Error('expected a config error');
    } catch (err) {
      expect((err as Error).message).toContain('NOTIFIER_API_READ_TOKEN (secret): the read-only API token must differ');
      expect((err as Error).message).not.toContain('same-secret-value-42');
    }
  });
});
