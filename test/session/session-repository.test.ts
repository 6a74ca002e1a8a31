// Session records: one identity per session, new ids at login, and what a joined login carries over.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { MemoryStore } from '../../src/session/memory-store.ts';
import { createSessionRepository } from '../../src/session/session-repository.ts';
import type { ProviderTokens, SessionUser } from '../../src/session/session-types.ts';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { createTokenCipher } from '../../src/session/token-cipher.ts';

const secret = 'session-repository-secret-0123456789-abc';

function repository() {
  return createSessionRepository({
    store: new MemoryStore(),
    cipher: createTokenCipher([secret]),
    keys: createStoreKeys('bff:'),
    idleTimeoutSeconds: 600,
    absoluteTimeoutSeconds: 3600,
    logger: createLogger('silent'),
    now: Date.now,
  });
}

const tokens = (accessToken: string): ProviderTokens => ({
  accessToken,
  refreshToken: null,
  expiresAtMs: Date.now() + 60_000,
  scopes: [],
  subject: null,
});
const user = (sub: string): SessionUser => ({
  sub,
  name: null,
  email: null,
  loginHint: null,
  tenantId: null,
  issuer: null,
  providerSessionId: null,
});

describe('commitLogin', () => {
  it('joins a second provider to the same user under a new id, and the old id stops working', async () => {
    const sessions = repository();
    const first = await sessions.commitLogin({
      previous: null,
      provider: 'graph',
      tokens: tokens('alice-graph'),
      user: user('alice'),
    });
    const joined = await sessions.commitLogin({
      previous: await sessions.loadSnapshot(first),
      provider: 'servicenow',
      tokens: tokens('alice-servicenow'),
      user: null,
    });
    expect(joined).not.toBe(first);
    expect(await sessions.loadSnapshot(first)).toBeNull();
    const snapshot = await sessions.loadSnapshot(joined);
    expect(snapshot?.user?.sub).toBe('alice');
    expect([...(snapshot?.providers.keys() ?? [])].sort()).toEqual(['graph', 'servicenow']);
  });

  it('does not let a login as another user inherit the joined session’s providers', async () => {
    const sessions = repository();
    const first = await sessions.commitLogin({
      previous: null,
      provider: 'servicenow',
      tokens: tokens('alice-sn'),
      user: user('alice'),
    });
    const second = await sessions.commitLogin({
      previous: await sessions.loadSnapshot(first),
      provider: 'graph',
      tokens: tokens('bob-graph'),
      user: user('bob'),
    });
    const snapshot = await sessions.loadSnapshot(second);
    expect(snapshot?.user?.sub).toBe('bob');
    expect([...(snapshot?.providers.keys() ?? [])]).toEqual(['graph']);
    expect(await sessions.loadSnapshot(first)).toBeNull();
  });
});
