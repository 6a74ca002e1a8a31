// The session read cache across two replicas on one Redis: hits cost no store round trip, and a logout, a back-channel logout or a lost announcement is refused everywhere within its bound.
import { describe, expect, it } from 'vitest';
import { createStoreKeys } from '../../src/session/store-keys.ts';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
// SESSION_CACHE_TTL_S is left at its default (2 s): the bound these tests hold the gateway to.
useGatewayHarness({}, (started) => (harness = started), { backChannelLogout: true });
const ttlMs = 2_000;
const keys = createStoreKeys('bff:');
const csrf = { 'x-csrf': '1' };

const graphStatus = async (browser: TestBrowser, gatewayUrl: string): Promise<number> =>
  (await browser.fetch(`${gatewayUrl}/graph/v1.0/me`, { headers: csrf })).status;

/** EVALSHA calls Redis has run since its statistics were reset (every session read is one). */
async function scriptCalls(): Promise<number> {
  const stats = await harness.redis.client.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

async function signedIn(loginHint = 'alice'): Promise<{ browser: TestBrowser; sessionId: string }> {
  const browser = new TestBrowser();
  expect((await harness.login(browser, `?login_hint=${loginHint}`)).status).toBe(302);
  return { browser, sessionId: await sessionIdOf(browser) };
}

/** Polls until `check` holds; resolves with the milliseconds it took. */
async function millisecondsUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const startedAt = performance.now();
  while (!(await check())) {
    if (performance.now() - startedAt > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - startedAt;
}

describe('the session read cache', () => {
  it('serves a busy session without a store round trip per request', async () => {
    const { browser } = await signedIn();
    expect(await graphStatus(browser, harness.url)).toBe(200);
    await harness.redis.client.config('RESETSTAT');
    for (let index = 0; index < 20; index += 1)
      expect(await graphStatus(browser, harness.url)).toBe(200);
    // At most one read when an entry expired during the loop; without the cache: 20.
    expect(await scriptCalls()).toBeLessThanOrEqual(1);
  });

  it('a logout on one replica is refused at once on another that had the session cached', async () => {
    const replica = await harness.startReplica();
    const { browser } = await signedIn();
    expect(await graphStatus(browser, replica.url)).toBe(200);
    expect(await graphStatus(browser, replica.url)).toBe(200); // served from the replica's cache
    // The cookie as a thief (or a tab that missed the logout) still holds it.
    const cookie = `bff-session=${browser.cookie('127.0.0.1', 'bff-session') ?? ''}`;
    const logout = await browser.fetch(`${harness.url}/auth/logout`, {
      method: 'POST',
      headers: csrf,
    });
    expect(logout.status).toBe(200);
    // The logout answered after its announcement was published: no window at all, well under the TTL.
    const replayed = await fetch(`${replica.url}/graph/v1.0/me`, { headers: { ...csrf, cookie } });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ reason: 'session_expired' });
  });

  it('a back-channel logout is refused at once on every replica', async () => {
    const replica = await harness.startReplica();
    const { browser, sessionId } = await signedIn('bob');
    expect(await graphStatus(browser, harness.url)).toBe(200);
    expect(await graphStatus(browser, replica.url)).toBe(200);
    const user = (await harness.gateway.dependencies.sessions.loadSnapshot(sessionId))?.user;
    if (user?.providerSessionId == null) throw new Error('the ID token carried no sid');
    await harness.openIdProvider.logoutTokens.send(user.sub, user.providerSessionId);
    await expect.poll(() => graphStatus(browser, harness.url), { timeout: 1_000 }).toBe(401);
    expect(await graphStatus(browser, replica.url)).toBe(401);
  });

  it('a session deleted behind its back (never announced) is refused within the TTL, no later', async () => {
    const { browser, sessionId } = await signedIn('carol');
    expect(await graphStatus(browser, harness.url)).toBe(200);
    await harness.redis.client.del(keys.session(sessionId));
    const refusedAfterMs = await millisecondsUntil(
      async () => (await graphStatus(browser, harness.url)) === 401,
      ttlMs + 1_000,
    );
    expect(refusedAfterMs).toBeLessThanOrEqual(ttlMs + 250);
  });

  it('stops serving from memory as soon as its subscription is lost, and resumes once it is back', async () => {
    const { browser, sessionId } = await signedIn('dave');
    expect(await graphStatus(browser, harness.url)).toBe(200);
    // The subscriber's connection dropped: announcements from now on could be missed.
    await harness.redis.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await harness.redis.client.config('RESETSTAT');
    expect(await graphStatus(browser, harness.url)).toBe(200);
    expect(await scriptCalls()).toBe(1); // read from the store, not from memory
    // Once subscribed again, reads are cached again.
    await millisecondsUntil(async () => {
      await harness.redis.client.config('RESETSTAT');
      await graphStatus(browser, harness.url);
      await graphStatus(browser, harness.url);
      return (await scriptCalls()) <= 1;
    }, 5_000);
    // And a deletion behind its back during the outage was never served from a stale entry.
    await harness.redis.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await harness.redis.client.del(keys.session(sessionId));
    expect(await graphStatus(browser, harness.url)).toBe(401);
  });
});
