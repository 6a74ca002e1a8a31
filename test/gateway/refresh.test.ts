// On-demand refresh through the whole gateway against a real OpenID provider (contract §4): before forwarding, once under concurrency, across replicas, past a dead lock holder.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
// PROVIDER_TIMEOUT_S bounds the wait for another holder's refresh; the tokens live 300 s.
useGatewayHarness({ PROVIDER_TIMEOUT_S: '3', TOKEN_REFRESH_SKEW_S: '60' }, (started) => {
  harness = started;
});

const csrf = { 'x-csrf': '1' };
/** Past the 300 s access-token lifetime of the stand-in, well inside the 8 h idle timeout. */
const pastExpiryMs = 10 * 60 * 1000;

let browser: TestBrowser;
beforeEach(async () => {
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  harness.graph.reset();
});
afterEach(() => {
  harness.graph.reset();
});

const refreshGrants = (): number =>
  harness.openIdProvider.tokenRequests.filter((request) => request.grantType === 'refresh_token')
    .length;
const bearerOf = (index: number): string =>
  harness.graph.requests[index]?.headers.authorization?.slice('Bearer '.length) ?? '';
async function storedGraphTokens(): Promise<{ accessToken: string; refreshToken: string | null }> {
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
    await sessionIdOf(browser),
  );
  const tokens = snapshot?.providers.get('graph');
  if (tokens === undefined) throw new Error('the session holds no Graph tokens');
  return tokens;
}

describe('proactive refresh', () => {
  it('refreshes a token past its skew before forwarding, and the rotated refresh token is the one used next', async () => {
    const before = await storedGraphTokens();
    const grantsBefore = refreshGrants();
    expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(
      200,
    );
    expect(refreshGrants()).toBe(grantsBefore); // a fresh token is simply forwarded

    harness.clock.advance(pastExpiryMs);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(200);
    expect(refreshGrants()).toBe(grantsBefore + 1);
    const afterFirst = await storedGraphTokens();
    expect(afterFirst.accessToken).not.toBe(before.accessToken);
    expect(afterFirst.refreshToken).not.toBe(before.refreshToken); // rotated, stored
    expect(bearerOf(1)).toBe(afterFirst.accessToken); // Graph got the new token, and accepted it
    expect(await harness.openIdProvider.introspect(bearerOf(1))).not.toBeNull();

    // oidc-provider rotates refresh tokens and refuses a used one: a second refresh only succeeds
    // when the gateway sends the rotated refresh token it stored.
    harness.clock.advance(pastExpiryMs);
    expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(
      200,
    );
    expect(refreshGrants()).toBe(grantsBefore + 2);
    const afterSecond = await storedGraphTokens();
    expect(afterSecond.refreshToken).not.toBe(afterFirst.refreshToken);
    expect(
      harness.logs.filter((line) => line.includes('"event":"refresh"')).length,
    ).toBeGreaterThan(1);
  });

  it('sends exactly one refresh grant for 50 concurrent requests at expiry, and all of them succeed', async () => {
    harness.clock.advance(pastExpiryMs);
    const grantsBefore = refreshGrants();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(refreshGrants()).toBe(grantsBefore + 1);
    const { accessToken } = await storedGraphTokens();
    expect(new Set(harness.graph.requests.map((_, index) => bearerOf(index)))).toEqual(
      new Set([accessToken]),
    );
  });

  it('sends exactly one refresh grant when two gateway processes sharing Redis get 50 requests at expiry', async () => {
    const replica = await harness.startReplica();
    try {
      harness.clock.advance(pastExpiryMs);
      const grantsBefore = refreshGrants();
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          browser.fetch(`${index % 2 === 0 ? harness.url : replica.url}/graph/v1.0/me`, {
            headers: csrf,
          }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
      expect(refreshGrants()).toBe(grantsBefore + 1);
    } finally {
      await replica.close();
    }
  });

  it('does not let a lock holder that died mid-refresh block the session past the lock expiry', async () => {
    const sessionId = await sessionIdOf(browser);
    const lockKey = createStoreKeys(harness.config.redisKeyPrefix).refreshLock(sessionId, 'graph');
    // A process that took the lock and died: nobody will release it before it expires.
    expect(await harness.redis.client.set(lockKey, 'a-process-that-died', 'PX', 1_500, 'NX')).toBe(
      'OK',
    );
    harness.clock.advance(pastExpiryMs);
    const grantsBefore = refreshGrants();
    const started = performance.now();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    const elapsedMs = performance.now() - started;
    expect(response.status).toBe(200);
    expect(refreshGrants()).toBe(grantsBefore + 1);
    expect(elapsedMs).toBeGreaterThan(1_200); // it waited for the lock…
    expect(elapsedMs).toBeLessThan(3_000); // …and no longer than its expiry plus one refresh
    expect(await harness.redis.client.exists(lockKey)).toBe(0); // released by its new owner
  });
});

describe('a connection without a refresh token', () => {
  it('serves its access token until it really expires, then answers refresh_failed without asking the server', async () => {
    const sessionId = await sessionIdOf(browser);
    const sessions = harness.gateway.dependencies.sessions;
    const view = await sessions.loadForProxy(sessionId, 'graph');
    if (view?.tokens == null || view.version === null) throw new Error('no Graph tokens');
    // As a grant without offline_access leaves it: an access token and nothing to renew it with.
    expect(
      await sessions.replaceTokens(sessionId, 'graph', view.version, {
        ...view.tokens,
        refreshToken: null,
      }),
    ).toBe(true);
    const grantsBefore = refreshGrants();

    // Inside the 60 s skew but not expired: nothing can renew it early, so it is simply used.
    harness.clock.advance(view.tokens.expiresAtMs - harness.clock.now() - 30_000);
    expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(
      200,
    );
    expect(bearerOf(0)).toBe(view.tokens.accessToken);

    harness.clock.advance(60_000);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ reason: 'refresh_failed', provider: 'graph' });
    expect(body).not.toHaveProperty('provider_error');
    expect(refreshGrants()).toBe(grantsBefore);
  });
});
