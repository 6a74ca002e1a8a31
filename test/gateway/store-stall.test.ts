// Redis stalled, not down (SIGSTOP): connections stay open and nothing answers. Requests still get a 503 within a bound, /readyz fails fast, and nothing is lost when Redis thaws.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readinessTimeoutMs } from '../../src/gateway/routes/health-routes.ts';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

/** The store's command timeout (2 s, redis-store.ts) plus a margin for a loaded test machine. */
const storeBoundMs = 3_500;
/** What answers at once during a stall (liveness, requests once the stall is known) must take less than this. */
const readinessBoundMs = 1_000;

let harness: GatewayHarness;
// The store's own behaviour: every request reads it. With the session read cache (on by default), a
// session read within SESSION_CACHE_TTL_S is served from memory until the stall is known; that
// bound is proven in session-read-cache-replicas.test.ts.
useGatewayHarness({ SESSION_CACHE_TTL_S: '0' }, (started) => (harness = started));

// A store failure must end as a 503, never as a rejection nobody handles (which would crash
// `node src/main.ts`): every one is counted while this file runs.
const unhandled: unknown[] = [];
const countUnhandled = (reason: unknown): void => void unhandled.push(reason);
process.on('unhandledRejection', countUnhandled);
afterAll(() => {
  process.off('unhandledRejection', countUnhandled);
});
afterEach(() => {
  // A failed test must not leave Redis frozen for the next one.
  harness.redis.resume();
});

async function timed<T>(request: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await request();
  return { value, ms: performance.now() - startedAt };
}

const proxied = (browser: TestBrowser): Promise<Response> =>
  browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: { 'x-csrf': '1' } });

const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** The messages of the gateway's log lines from index `from` on. */
const messagesSince = (from: number): string[] =>
  harness.logs.slice(from).map((line) => (JSON.parse(line) as { msg: string }).msg);

describe('a stalled store', () => {
  it('answers 503 within the command timeout, /readyz within its own shorter bound, and loses nothing', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const sessionId = await sessionIdOf(browser);
    expect((await proxied(browser)).status).toBe(200);
    const forwardedBefore = harness.graph.requests.length;

    harness.redis.pause();
    // The ping reaches the stalled connection and is abandoned after the readiness timeout.
    const readiness = await timed(() => fetch(`${harness.url}/readyz`));
    expect(readiness.value.status).toBe(503);
    expect(readiness.value.headers.get('cache-control')).toBe('no-store');
    expect(readiness.ms).toBeGreaterThanOrEqual(readinessTimeoutMs - 20);
    // `readinessTimeoutMs` (1 s), well before the store's 2 s command timeout.
    expect(readiness.ms).toBeLessThan(readinessTimeoutMs + 500);

    // Fifty at once on the stalled connection: each fails on its own timer, none waits behind
    // another's command; liveness does not depend on the store at all.
    const [burst, liveness] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => timed(() => proxied(browser)))),
      timed(() => fetch(`${harness.url}/healthz`)),
    ]);
    const burstMs = burst.map(({ ms }) => ms);
    for (const { value } of burst) {
      expect(value.status).toBe(503);
      expect(await value.json()).toMatchObject({ type: 'urn:bff:store-unavailable' });
    }
    expect(Math.max(...burstMs)).toBeLessThan(storeBoundMs);
    expect(liveness.value.status).toBe(200);
    expect(liveness.ms).toBeLessThan(readinessBoundMs);

    // The stalled connection was dropped with its pending commands (no reply for the command
    // timeout), so the 51st request is not slower than the first fifty, it fails at once: nothing
    // waits on, or piles up behind, the frozen server while the stall lasts.
    const later = await timed(() => proxied(browser));
    expect(later.value.status).toBe(503);
    expect(later.ms).toBeLessThanOrEqual(Math.min(...burstMs));
    expect(later.ms).toBeLessThan(readinessBoundMs);
    const laterReadiness = await timed(() => fetch(`${harness.url}/readyz`));
    expect(laterReadiness.value.status).toBe(503);
    expect(laterReadiness.ms).toBeLessThan(readinessBoundMs);
    expect(harness.logs.join('\n')).toContain('session store disconnected, reconnecting');
    expect(harness.graph.requests).toHaveLength(forwardedBefore);

    harness.redis.resume();
    await eventually(async () => (await proxied(browser)).status === 200, 5_000);
    expect(await sessionIdOf(browser)).toBe(sessionId);
    expect((await fetch(`${harness.url}/readyz`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  });

  it('a stall spanning several reconnection attempts keeps every later request fast, logs each error once, and recovers', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    expect((await proxied(browser)).status).toBe(200);
    const logsBefore = harness.logs.length;

    harness.redis.pause();
    const first = await timed(() => proxied(browser));
    expect(first.value.status).toBe(503);
    expect(first.ms).toBeLessThan(storeBoundMs);
    // Each reconnection to the frozen server connects (the kernel still accepts) and then times
    // out in its handshake; meanwhile requests are refused at once, never queued.
    const stallEndsAt = performance.now() + 5_000;
    let sampled = 0;
    while (performance.now() < stallEndsAt) {
      const sample = await timed(() => proxied(browser));
      expect(sample.value.status).toBe(503);
      expect(sample.ms).toBeLessThan(readinessBoundMs);
      sampled += 1;
      await sleep(200);
    }
    expect(sampled).toBeGreaterThan(10);
    // Logged once each per outage, not once per reconnection attempt.
    const errorTexts = harness.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as { msg: string; error?: string })
      .filter((entry) => entry.msg === 'session store connection error')
      .map((entry) => entry.error);
    expect(errorTexts.length).toBeGreaterThan(0);
    expect(new Set(errorTexts).size).toBe(errorTexts.length);
    // Once per outage, not once per process: the previous test's stall logged these already.
    expect(errorTexts.some((text) => /socket timeout/i.test(text ?? ''))).toBe(true);
    expect(messagesSince(logsBefore)).toContain('session store disconnected, reconnecting');

    harness.redis.resume();
    await eventually(async () => (await proxied(browser)).status === 200, 5_000);
    expect(messagesSince(logsBefore)).toContain('session store connected');
    expect(unhandled).toEqual([]);
  }, 20_000);
});
