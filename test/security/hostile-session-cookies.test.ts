// Hostile session cookies (oversized, garbage, forged, confused with the login cookie, duplicated, replayed): 401 reauth or authenticated:false, nothing leaked, the store untouched.
import { sealData } from 'iron-session';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const host = '127.0.0.1';
const otherSecret = 'an-attacker-chosen-secret-0123456789-abcdef';
/** The signed-in victim whose session id and cookie the attacker plays with. */
let victim: { browser: TestBrowser; cookie: string; sessionId: string };

beforeAll(async () => {
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  const cookie = browser.cookie(host, sessionCookieName) ?? '';
  victim = { browser, cookie, sessionId: await sessionIdOf(browser) };
});

/**
 * With `cookieHeader`, the proxy answers 401 reauth `reason` and forwards nothing, /auth/session
 * answers 200 `authenticated: false`, neither echoes `value`, and the store is unchanged.
 */
async function expectRefused(cookieHeader: string, value: string, reason = 'no_session') {
  const before = await dumpStore(harness.redis);
  harness.graph.reset();
  const proxied = await fetch(`${harness.url}/graph/v1.0/me`, {
    headers: { 'x-csrf': '1', cookie: cookieHeader },
  });
  expect(proxied.status).toBe(401);
  expect(proxied.headers.get('content-type')).toBe('application/problem+json');
  const problem = await proxied.text();
  expect(JSON.parse(problem)).toMatchObject({
    type: 'urn:bff:reauth-required',
    reason,
    provider: 'graph',
    login_url: '/auth/login/graph',
  });
  const status = await fetch(`${harness.url}/auth/session`, { headers: { cookie: cookieHeader } });
  expect(status.status).toBe(200);
  const session = await status.text();
  expect(JSON.parse(session)).toEqual({
    authenticated: false,
    user: null,
    providers: { graph: { connected: false, login_url: '/auth/login/graph' } },
  });
  expect(harness.graph.requests).toEqual([]);
  expect(await dumpStore(harness.redis)).toEqual(before);
  if (value.length >= 8) {
    for (const seen of [problem, session, harness.logs.join('\n')])
      expect(seen).not.toContain(value);
  }
}

/** A pending-login cookie value: sealed with the same secret as the session cookie. */
async function loginCookieValue(): Promise<string> {
  const response = await fetch(`${harness.url}/auth/login/graph`, { redirect: 'manual' });
  const line = response.headers.getSetCookie().find((entry) => entry.startsWith('bff-login-'));
  return /^[^=]+=([^;]*)/.exec(line ?? '')?.[1] ?? '';
}

const futureExpiry = (): string => String(Date.now() + 3_600_000);

describe('a hostile session cookie', () => {
  it.each<[string, () => Promise<string> | string]>([
    ['8 KiB of seal-shaped base64url', () => `Fe26.2*${'A'.repeat(8 * 1024)}`],
    ["15 KiB, just under Node's 16 KiB head limit", () => `Fe26.2*1*${'x'.repeat(15 * 1024)}`],
    ['non-base64 bytes in every seal field', () => 'Fe26.2*1*!!!*@@@*###*$$$*(((*)))~2'],
    ['malformed percent-encoding', () => 'Fe26.2*%E0%A4%A*%ZZ*%'],
    ['percent-encoded NUL, CR and LF', () => 'Fe26.2*1*%00%0d%0a*abc'],
    ['an empty value', () => ''],
    [
      'a seal of its exact shape made with another secret',
      () =>
        sealData(
          { sid: victim.sessionId, exp: futureExpiry() },
          { password: otherSecret, ttl: 3600 },
        ),
    ],
    // The `~2` after the MAC only names iron's format version: the MAC itself is cut here.
    ['the seal with its MAC one character short', () => victim.cookie.replace(/.~2$/, '~2')],
    ['the first half of the seal', () => victim.cookie.slice(0, victim.cookie.length / 2)],
    [
      "the seal with a field swapped for another seal's",
      async () => {
        const other = (
          await sealData({ sid: 'x', exp: futureExpiry() }, { password: sessionSecret, ttl: 3600 })
        ).split('*');
        const parts = victim.cookie.split('*');
        parts[4] = other[4] ?? '';
        return parts.join('*');
      },
    ],
    ['a pending-login cookie in its place (same secret, other shape)', loginCookieValue],
    [
      'a seal with the right secret but no session id',
      () => sealData({ exp: futureExpiry() }, { password: sessionSecret, ttl: 3600 }),
    ],
    [
      'a seal with the right secret and a session id that is not a string',
      () => sealData({ sid: 42, exp: futureExpiry() }, { password: sessionSecret, ttl: 3600 }),
    ],
  ])('%s: 401 no_session, authenticated:false, store untouched', async (_name, make) => {
    const value = await make();
    await expectRefused(`${sessionCookieName}=${value}`, value);
  });

  it('a forged cookie first, then the genuine one: the first is read, so no session', async () => {
    const forged = 'Fe26.2*1*forged-first*value*of*the*session~2';
    await expectRefused(
      `${sessionCookieName}=${forged}; ${sessionCookieName}=${victim.cookie}`,
      forged,
    );
  });

  it('the genuine cookie first, then a forged one: the first is read and the second changes nothing', async () => {
    const forged = 'Fe26.2*1*forged-second*value~2';
    const both = await fetch(`${harness.url}/graph/v1.0/me`, {
      headers: {
        'x-csrf': '1',
        cookie: `${sessionCookieName}=${victim.cookie}; ${sessionCookieName}=${forged}`,
      },
    });
    expect(both.status).toBe(200);
    expect(((await both.json()) as { displayName: string }).displayName).toBe('Alice');
  });

  it('a replayed cookie of a session a newer login replaced: session_expired, and the newer session keeps working', async () => {
    const browser = new TestBrowser();
    await harness.login(browser);
    const replaced = browser.cookie(host, sessionCookieName) ?? '';
    await harness.login(browser);
    expect(browser.cookie(host, sessionCookieName)).not.toBe(replaced);
    await expectRefused(`${sessionCookieName}=${replaced}`, replaced, 'session_expired');
    const current = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(current.status).toBe(200);
  });

  it('the victim session survives every attempt above', async () => {
    const response = await victim.browser.fetch(`${harness.url}/auth/session`);
    expect(await response.json()).toMatchObject({ authenticated: true, user: { sub: 'alice' } });
  });
});
