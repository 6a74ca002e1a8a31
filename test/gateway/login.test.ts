// Login and callback (contract §3) against a real OpenID provider, real Redis and the real gateway over HTTP.
import { createHash } from 'node:crypto';
import { sealData, unsealData } from 'iron-session';
import { describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  sessionIdOf,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** The pending-login cookie's name for a state (over http, without the `__Host-` prefix). */
function loginCookieNameOf(state: string): string {
  return `bff-login-${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
}

describe('GET /auth/login/graph', () => {
  it('redirects to the authorization endpoint with PKCE S256, state, nonce and the registered redirect URI', async () => {
    const browser = new TestBrowser();
    const response = await browser.fetch(
      `${harness.url}/auth/login/graph?prompt=select_account&login_hint=bob&domain_hint=contoso.example`,
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(
      location.href.startsWith(
        `${harness.openIdProvider.issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/authorize`,
      ),
    ).toBe(true);
    const parameters = location.searchParams;
    expect(parameters.get('response_type')).toBe('code');
    expect(parameters.get('client_id')).toBe(harness.openIdProvider.clientId);
    expect(parameters.get('redirect_uri')).toBe(`${harness.url}/auth/callback/graph`);
    expect(parameters.get('scope')).toBe('openid profile email offline_access User.Read');
    expect(parameters.get('code_challenge_method')).toBe('S256');
    expect(parameters.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parameters.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parameters.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parameters.get('prompt')).toBe('select_account');
    expect(parameters.get('login_hint')).toBe('bob');
    expect(parameters.get('domain_hint')).toBe('contoso.example');
    // Each login gets fresh values.
    const second = new URL(
      (await browser.fetch(`${harness.url}/auth/login/graph`)).headers.get('location') ?? '',
    );
    expect(second.searchParams.get('state')).not.toBe(parameters.get('state'));
    expect(second.searchParams.get('code_challenge')).not.toBe(parameters.get('code_challenge'));
  });

  it('binds the pending login to the browser with a short-lived Lax cookie that holds no state in clear', async () => {
    const browser = new TestBrowser();
    const response = await browser.fetch(`${harness.url}/auth/login/graph`);
    const state = new URL(response.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const setCookie =
      response.headers.getSetCookie().find((line) => line.startsWith('bff-login-')) ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Max-Age=600/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toContain(state);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it.each([
    ['mode=window', 'mode'],
    ['return_to=//evil.example', 'return_to'],
    ['return_to=https://evil.example/', 'return_to'],
    ['prompt=always', 'prompt'],
  ])('answers 400 problem+json to %s', async (query, parameter) => {
    const response = await fetch(`${harness.url}/auth/login/graph?${query}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as { type: string; detail: string };
    expect(body.type).toBe('urn:bff:invalid-request');
    expect(body.detail).toContain(parameter);
  });

  it('answers 404 to an unknown or disabled provider', async () => {
    for (const provider of ['servicenow', 'github', '..']) {
      const response = await fetch(`${harness.url}/auth/login/${provider}`, { redirect: 'manual' });
      expect(response.status).toBe(404);
    }
  });
});

describe('GET /auth/callback/graph', () => {
  it('completes a login: session cookie set, 302 to return_to, session reported', async () => {
    const browser = new TestBrowser();
    const response = await harness.login(browser, '?return_to=%2Finbox%3Ffolder%3D1');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${harness.url}/inbox?folder=1`);
    const sessionCookie = browser.cookieAttributes('127.0.0.1', sessionCookieName) ?? '';
    expect(sessionCookie).toMatch(/HttpOnly/i);
    expect(sessionCookie).toMatch(/SameSite=Strict/i);
    expect(sessionCookie).toMatch(/Path=\//);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      authenticated: boolean;
      user: { sub: string; name: string; email: string };
      providers: { graph: { connected: boolean; expires_at: string; scopes: string[] } };
    };
    expect(session.authenticated).toBe(true);
    expect(session.user.sub).toBe('alice');
    expect(session.user.email).toContain('alice');
    expect(session.providers.graph.connected).toBe(true);
    // From the token response's expires_in (300 s at the stand-in), not a guess.
    expect(Date.parse(session.providers.graph.expires_at)).toBeGreaterThan(Date.now() + 290_000);
    expect(Date.parse(session.providers.graph.expires_at)).toBeLessThanOrEqual(
      Date.now() + 300_000,
    );
    expect(session.providers.graph.scopes).toContain('User.Read');
    expect(
      harness.logs.some(
        (line) => line.includes('"event":"login"') && line.includes('"audit":true'),
      ),
    ).toBe(true);
  });

  it('issues a new session id on every login and the old one stops working', async () => {
    const browser = new TestBrowser();
    await harness.login(browser);
    const firstCookie = browser.cookie('127.0.0.1', sessionCookieName) ?? '';
    const firstId = await sessionIdOf(browser);
    await harness.login(browser);
    const secondId = await sessionIdOf(browser);
    expect(secondId).not.toBe(firstId);
    const stale = new TestBrowser();
    stale.setCookie('127.0.0.1', sessionCookieName, firstCookie);
    const status = (await (await stale.fetch(`${harness.url}/auth/session`)).json()) as {
      authenticated: boolean;
    };
    expect(status.authenticated).toBe(false);
    const proxied = await stale.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(proxied.status).toBe(401);
    expect(((await proxied.json()) as { reason: string }).reason).toBe('session_expired');
  });

  it('popup mode answers a page that posts the result to the opener on the gateway origin only', async () => {
    const browser = new TestBrowser();
    const response = await harness.login(browser, '?mode=popup');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    const html = await response.text();
    expect(html).toContain('"type":"bff:login"');
    expect(html).toContain('"provider":"graph"');
    expect(html).toContain('"ok":true');
    expect(html).toContain(`"origin":"${harness.url}"`);
    expect(html).not.toContain('"*"');
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeDefined();
  });

  it('reports a cancelled login to the app with bff_error and creates no session', async () => {
    const browser = new TestBrowser();
    const response = await harness.login(browser, '?login_hint=cancel&return_to=%2Fhome');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(`${harness.url}/home`);
    expect(location.searchParams.get('bff_error')).toBe('access_denied');
    expect(location.searchParams.get('bff_provider')).toBe('graph');
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
    expect(harness.logs.some((line) => line.includes('"event":"login_failed"'))).toBe(true);
  });

  it('reports a cancelled popup login with ok: false', async () => {
    const browser = new TestBrowser();
    const response = await harness.login(browser, '?login_hint=cancel&mode=popup');
    const html = await response.text();
    expect(html).toContain('"ok":false');
    expect(html).toContain('"error":"access_denied"');
  });

  it('refuses a replayed state: the second use of a callback is a 400, even with the login cookie put back', async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const state = callback.searchParams.get('state') ?? '';
    const loginCookieName = loginCookieNameOf(state);
    const loginCookie = browser.cookie('127.0.0.1', loginCookieName);
    expect(loginCookie).toBeDefined();
    const first = await browser.fetch(callback);
    expect(first.status).toBe(302);
    // The callback expired the login cookie; a replaying attacker who kept it still fails (single use in the store).
    expect(browser.cookie('127.0.0.1', loginCookieName)).toBeUndefined();
    browser.setCookie('127.0.0.1', loginCookieName, loginCookie ?? '');
    const sessionBefore = browser.cookie('127.0.0.1', sessionCookieName);
    const replay = await browser.fetch(callback);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { type: string }).type).toBe('urn:bff:invalid-login-state');
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBe(sessionBefore);
  });

  it("refuses a callback whose login cookie is another login's, even of the same browser", async () => {
    const browser = new TestBrowser();
    const first = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const second = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const firstState = first.searchParams.get('state') ?? '';
    const secondState = second.searchParams.get('state') ?? '';
    // The second login's cookie now holds the first login's sealed pending login.
    const firstCookie = browser.cookie('127.0.0.1', loginCookieNameOf(firstState)) ?? '';
    browser.setCookie('127.0.0.1', loginCookieNameOf(secondState), firstCookie);
    const response = await browser.fetch(second);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toBe('urn:bff:invalid-login-state');
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
  });

  it('refuses a callback from a browser that did not start the login (state of another browser)', async () => {
    const victim = new TestBrowser();
    const callback = await victim.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const attacker = new TestBrowser();
    const response = await attacker.fetch(callback);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toBe('urn:bff:invalid-login-state');
    expect(attacker.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
  });

  it.each([
    ['a forged state', 'state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=x'],
    ['a missing state', 'code=x'],
    ['a malformed state', 'state=%3Cscript%3E&code=x'],
  ])('refuses %s with 400 invalid-login-state', async (_name, query) => {
    const response = await fetch(`${harness.url}/auth/callback/graph?${query}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toBe('urn:bff:invalid-login-state');
  });

  it('refuses a pending login older than ten minutes, even in a cookie sealed with the right secret', async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const state = callback.searchParams.get('state') ?? '';
    const name = loginCookieNameOf(state);
    const pending = await unsealData<Record<string, string>>(
      browser.cookie('127.0.0.1', name) ?? '',
      {
        password: sessionSecret,
      },
    );
    expect(pending.state).toBe(state);
    // The same pending login, resealed as if its ten minutes had passed.
    const expired = { ...pending, expiresAt: String(Date.now() - 1) };
    browser.setCookie(
      '127.0.0.1',
      name,
      await sealData(expired, { password: sessionSecret, ttl: 600 }),
    );
    const response = await browser.fetch(callback);
    expect(response.status).toBe(400);
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
  });

  it('writes nothing to the store when a login starts, and one expiring marker when it completes', async () => {
    const before = await harness.redis.client.keys('*');
    const browser = new TestBrowser();
    for (let attempt = 0; attempt < 20; attempt += 1) {
      expect((await browser.fetch(`${harness.url}/auth/login/graph`)).status).toBe(302);
    }
    expect(await harness.redis.client.keys('*')).toEqual(before);
    expect((await harness.login(browser)).status).toBe(302);
    const used = await harness.redis.client.keys('bff:login-used:*');
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) {
      const ttl = await harness.redis.client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
  });

  it('keeps at most three pending-login cookies per browser, so abandoned logins cannot bloat every request', async () => {
    const browser = new TestBrowser();
    const states: string[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const response = await browser.fetch(`${harness.url}/auth/login/graph`);
      states.push(new URL(response.headers.get('location') ?? '').searchParams.get('state') ?? '');
    }
    const held = states.filter(
      (state) => browser.cookie('127.0.0.1', loginCookieNameOf(state)) !== undefined,
    );
    expect(held).toEqual(states.slice(-3));
  });

  it('expires the pending-login cookie also when it refuses the callback', async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const state = callback.searchParams.get('state') ?? '';
    const loginCookieName = harness.gateway.dependencies.loginCookie.name(state);
    const loginCookies = () => (browser.cookie('127.0.0.1', loginCookieName) === undefined ? 0 : 1);
    expect(loginCookies()).toBe(1);
    // Another tab already used this state: the callback is refused.
    await harness.gateway.dependencies.loginStateClaims.claim(
      callback.searchParams.get('state') ?? '',
    );
    const response = await browser.fetch(callback);
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie().join('\n')).toMatch(/bff-login-[^=]*=;.*Max-Age=0/i);
    expect(loginCookies()).toBe(0);
  });

  it('refuses a callback on another provider path than the login was started for', async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const wrong = new URL(callback);
    wrong.pathname = '/auth/callback/servicenow';
    const response = await browser.fetch(wrong);
    expect(response.status).toBe(404);
  });
});
