// Hostile pending-login cookies at the callback: 400 invalid-login-state, no code exchanged, no session, the store untouched, and the genuine login still completes.
import { sealData } from 'iron-session';
import { describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const host = '127.0.0.1';

interface PendingLogin {
  readonly browser: TestBrowser;
  /** The callback URL the provider sent the browser to: a real code and state. */
  readonly callback: URL;
  /** The pending-login cookie's name and genuine value. */
  readonly name: string;
  readonly value: string;
}

/** A login stopped right before its callback, as a victim's browser holds it. */
async function pendingLogin(): Promise<PendingLogin> {
  const browser = new TestBrowser();
  const callback = await browser.followUntil(
    `${harness.url}/auth/login/graph`,
    `${harness.url}/auth/callback/`,
  );
  const name = harness.gateway.dependencies.loginCookie.name(
    callback.searchParams.get('state') ?? '',
  );
  const value = browser.cookie(host, name);
  if (value === undefined) throw new Error('the login set no pending-login cookie');
  return { browser, callback, name, value };
}

/**
 * The callback with `cookieHeader` instead of the browser's cookies: 400 invalid-login-state, no
 * session cookie, no token request, nothing stored, `hostile` echoed neither in the answer nor a log.
 */
async function expectRefused(login: PendingLogin, cookieHeader: string, hostile: string) {
  const before = await dumpStore(harness.redis);
  const tokenRequests = harness.openIdProvider.tokenRequests.length;
  const response = await fetch(login.callback, {
    headers: { cookie: cookieHeader },
    redirect: 'manual',
  });
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = await response.text();
  expect(JSON.parse(body)).toMatchObject({ type: 'urn:bff:invalid-login-state', status: 400 });
  const setCookies = response.headers.getSetCookie();
  expect(setCookies.some((line) => line.startsWith(`${sessionCookieName}=`))).toBe(false);
  expect(harness.openIdProvider.tokenRequests).toHaveLength(tokenRequests);
  expect(await dumpStore(harness.redis)).toEqual(before);
  if (hostile.length >= 8) {
    for (const seen of [body, harness.logs.join('\n')]) expect(seen).not.toContain(hostile);
  }
}

/** Nothing was lost: the victim's own browser, with its genuine cookie, still completes the login. */
async function expectGenuineLoginCompletes(login: PendingLogin): Promise<void> {
  const response = await login.browser.fetch(login.callback);
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe(`${harness.url}/`);
  expect(login.browser.cookie(host, sessionCookieName)).toBeTruthy();
}

function tamper(value: string): string {
  const index = Math.floor(value.length / 2);
  return value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1);
}

describe('a hostile pending-login cookie at the callback', () => {
  it.each<[string, (login: PendingLogin, sessionCookie: string) => string | Promise<string>]>([
    ['garbage', () => 'not-a-seal-at-all'],
    ['the seal truncated to half', (login) => login.value.slice(0, login.value.length / 2)],
    ['the seal with one character changed', (login) => tamper(login.value)],
    ['8 KiB of seal-shaped base64url', () => `Fe26.2*${'Q'.repeat(8 * 1024)}`],
    ['non-base64 and broken percent-encoding', () => 'Fe26.2*1*%E0%A4%A*!!*@@*%ZZ~2'],
    ['an empty value', () => ''],
    ['a session cookie in its place (same secret, other shape)', (_login, session) => session],
    [
      'a seal of its exact shape made with another secret',
      async (login) =>
        sealData(
          { state: login.callback.searchParams.get('state') ?? '', provider: 'graph' },
          { password: 'an-attacker-chosen-secret-0123456789-abcdef', ttl: 600 },
        ),
    ],
    [
      'a seal with the right secret for this state but another shape',
      async (login) =>
        sealData(
          { state: login.callback.searchParams.get('state') ?? '', provider: 'github' },
          { password: sessionSecret, ttl: 600 },
        ),
    ],
  ])('%s: refused 400, and the genuine login still completes', async (_name, make) => {
    const signedIn = new TestBrowser();
    await harness.login(signedIn);
    const login = await pendingLogin();
    const hostile = await make(login, signedIn.cookie(host, sessionCookieName) ?? '');
    await expectRefused(login, `${login.name}=${hostile}`, hostile);
    await expectGenuineLoginCompletes(login);
  });

  it('a forged duplicate sent before the genuine cookie is the one read: refused 400', async () => {
    const login = await pendingLogin();
    const forged = 'Fe26.2*1*a*forged*duplicate*login*cookie~2';
    await expectRefused(login, `${login.name}=${forged}; ${login.name}=${login.value}`, forged);
    await expectGenuineLoginCompletes(login);
  });
});
