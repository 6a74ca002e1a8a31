// Redis down (contract §2): the gateway keeps running, /readyz and store-bound requests answer 503, and it recovers by itself.
import { afterAll, describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** The store's command timeout (2 s, redis-store.ts) plus a margin; a refused connection fails sooner. */
const storeBoundMs = 3_500;

// A store failure must end as a 503, never as a rejection nobody handles (which would crash
// `node src/main.ts`): every one is counted while this file runs.
const unhandled: unknown[] = [];
const countUnhandled = (reason: unknown): void => void unhandled.push(reason);
process.on('unhandledRejection', countUnhandled);
afterAll(() => {
  process.off('unhandledRejection', countUnhandled);
  expect(unhandled).toEqual([]);
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a store outage', () => {
  it('answers 503 where the store is needed, keeps /healthz, and recovers when Redis returns', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    await harness.redis.stop();

    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${harness.url}/readyz`)).status).toBe(503);
    const started = Date.now();
    const proxied = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(Date.now() - started).toBeLessThan(storeBoundMs);
    expect(proxied.status).toBe(503);
    // Like a provider outage, a store outage tells the browser when to try again.
    expect(proxied.headers.get('retry-after')).toBe('1');
    expect(await proxied.json()).toMatchObject({ type: 'urn:bff:store-unavailable' });
    // Starting a login needs no store; completing one does (its single use is recorded there).
    const stranger = new TestBrowser();
    const callback = await stranger.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const completed = await stranger.fetch(callback);
    expect(completed.status).toBe(503);
    expect(await completed.json()).toMatchObject({ type: 'urn:bff:store-unavailable' });
    expect(stranger.cookie('127.0.0.1', 'bff-session')).toBeUndefined();
    expect(harness.graph.requests).toHaveLength(0);

    // Redis comes back empty (it keeps nothing on disk): the gateway reconnects without a restart.
    await harness.redis.start();
    await eventually(async () => (await fetch(`${harness.url}/readyz`)).status === 200);
    const after = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ reason: 'session_expired' });
    expect((await harness.login(browser)).status).toBe(302);
    expect(
      (await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: { 'x-csrf': '1' } })).status,
    ).toBe(200);
  });

  it('a logout the store cannot serve answers 503 and still takes the cookie from the browser', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    await harness.redis.stop();
    try {
      const response = await browser.fetch(`${harness.url}/auth/logout`, {
        method: 'POST',
        headers: { 'x-csrf': '1' },
      });
      expect(response.status).toBe(503);
      expect(browser.cookieAttributes('127.0.0.1', sessionCookieName)).toMatch(/Max-Age=0/i);
      expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
    } finally {
      await harness.redis.start();
    }
  });

  it('a gateway started while Redis is unreachable serves, answers 503, and connects when Redis comes up', async () => {
    // The previous test restarted Redis: the harness's gateway reconnects first.
    await eventually(async () => (await fetch(`${harness.url}/readyz`)).status === 200);
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    // REDIS_URL now names a closed port: the replica is a gateway process started in that state.
    await harness.redis.stop();
    const replica = await harness.startReplica({ waitUntilReady: false });
    try {
      expect((await fetch(`${replica.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${replica.url}/readyz`)).status).toBe(503);
      const started = Date.now();
      const proxied = await browser.fetch(`${replica.url}/graph/v1.0/me`, {
        headers: { 'x-csrf': '1' },
      });
      expect(Date.now() - started).toBeLessThan(storeBoundMs);
      expect(proxied.status).toBe(503);
      expect(await proxied.json()).toMatchObject({ type: 'urn:bff:store-unavailable' });
    } finally {
      await harness.redis.start();
    }
    // No restart: the replica's own connection attempts find the server.
    await eventually(async () => (await fetch(`${replica.url}/readyz`)).status === 200);
    // The sign-in below goes through the harness's gateway, which reconnects on its own schedule.
    await eventually(async () => (await fetch(`${harness.url}/readyz`)).status === 200);
    expect((await harness.login(browser)).status).toBe(302);
    const after = await browser.fetch(`${replica.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(after.status).toBe(200);
  });
});
