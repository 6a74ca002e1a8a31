// The browser's cookies (contract §5): HttpOnly, SameSite, Path=/, host-only, and `__Host-` + Secure under an https PUBLIC_URL.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildGateway } from '../../src/gateway/build-gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  sessionCookieName,
  sessionSecret,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { startOpenIdProvider } from '../support/openid-provider.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** A Set-Cookie line as its name and its attributes (lowercased names; a flag maps to ''). */
function parseSetCookie(line: string): { name: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const [key = '', ...value] = attribute.split('=');
    attributes.set(key.trim().toLowerCase(), value.join('=').trim());
  }
  return { name: pair.slice(0, pair.indexOf('=')).trim(), attributes };
}

/** The Set-Cookie lines of a real login through the harness's gateway (PUBLIC_URL is http). */
async function httpCookieLines(): Promise<{ session: string; login: string }> {
  const browser = new TestBrowser();
  const login = await browser.fetch(`${harness.url}/auth/login/graph`);
  const loginLine = login.headers.getSetCookie().find((line) => line.startsWith('bff-login-'));
  expect((await harness.login(browser)).status).toBe(302);
  const sessionLine = browser.cookieAttributes('127.0.0.1', sessionCookieName);
  return { session: sessionLine ?? '', login: loginLine ?? '' };
}

/**
 * The same gateway with an https PUBLIC_URL, driven in-process through a real login against its own
 * OpenID provider (which redirects to the https callback): the cookie names and `Secure` change.
 */
interface HttpsObservations {
  readonly session: string;
  readonly login: string;
  /** The Set-Cookie line of the logout's answer for the session cookie. */
  readonly logout: string;
  /** `Strict-Transport-Security` of: the login redirect, /healthz, a proxy problem (403). */
  readonly hsts: readonly (string | null)[];
}

async function httpsCookieLines(): Promise<HttpsObservations> {
  const publicUrl = 'https://app.example.test';
  const provider = await startOpenIdProvider({
    redirectUris: [`${publicUrl}/auth/callback/graph`],
  });
  const config = loadConfig({
    PUBLIC_URL: publicUrl,
    SESSION_SECRET: sessionSecret,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'fatal',
    GRAPH_CLIENT_ID: provider.clientId,
    GRAPH_CLIENT_SECRET: provider.clientSecret,
    GRAPH_ISSUER: provider.issuer,
  });
  const gateway = buildGateway(config, createLogger('fatal', { write: () => undefined }));
  try {
    const login = await gateway.app.request(`${publicUrl}/auth/login/graph`);
    expect(login.status).toBe(302);
    const loginLine = login.headers.getSetCookie().find((line) => line.startsWith('__Host-'));
    const callback = await new TestBrowser().followUntil(
      login.headers.get('location') ?? '',
      `${publicUrl}/auth/callback/`,
    );
    const answer = await gateway.app.request(callback.href, {
      headers: { cookie: (loginLine ?? '').split(';')[0] ?? '' },
    });
    expect(answer.status).toBe(302);
    const sessionLine = answer.headers
      .getSetCookie()
      .find((line) => line.startsWith('__Host-bff-session='));
    const sessionCookie = (sessionLine ?? '').split(';')[0] ?? '';
    const logout = await gateway.app.request(`${publicUrl}/auth/logout`, {
      method: 'POST',
      headers: { cookie: sessionCookie, 'x-csrf': '1' },
    });
    expect(logout.status).toBe(200);
    const others = [
      await gateway.app.request(`${publicUrl}/healthz`),
      await gateway.app.request(`${publicUrl}/graph/v1.0/me`),
    ];
    return {
      session: sessionLine ?? '',
      login: loginLine ?? '',
      logout:
        logout.headers.getSetCookie().find((line) => line.startsWith('__Host-bff-session=')) ?? '',
      hsts: [login, ...others].map((answer) => answer.headers.get('strict-transport-security')),
    };
  } finally {
    await gateway.close();
    await provider.close();
  }
}

describe('the cookies the browser holds', () => {
  const lines: Record<'http' | 'https', { session: string; login: string }> = {
    http: { session: '', login: '' },
    https: { session: '', login: '' },
  };
  let https: HttpsObservations = { session: '', login: '', logout: '', hsts: [] };
  beforeAll(async () => {
    lines.http = await httpCookieLines();
    https = await httpsCookieLines();
    lines.https = { session: https.session, login: https.login };
  });

  it('an https gateway makes the browser stay on https (HSTS) on every answer; an http one says nothing', async () => {
    expect(https.hsts).toEqual(Array(3).fill('max-age=31536000'));
    const answer = await fetch(`${harness.url}/auth/session`);
    expect(answer.headers.get('strict-transport-security')).toBeNull();
  });

  it('logout under https expires the __Host- session cookie with the attributes it was set with', () => {
    const { name, attributes } = parseSetCookie(https.logout);
    // A __Host- cookie is only replaced by one with Secure and Path=/ (RFC 6265bis §4.1.3.2).
    expect(name).toBe('__Host-bff-session');
    expect(attributes.get('max-age')).toBe('0');
    expect(attributes.has('secure')).toBe(true);
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Strict');
  });

  it.each([
    { cookie: 'session', scheme: 'http', name: /^bff-session$/, sameSite: 'Strict' },
    { cookie: 'session', scheme: 'https', name: /^__Host-bff-session$/, sameSite: 'Strict' },
    { cookie: 'login', scheme: 'http', name: /^bff-login-[\w-]{16}$/, sameSite: 'Lax' },
    { cookie: 'login', scheme: 'https', name: /^__Host-bff-login-[\w-]{16}$/, sameSite: 'Lax' },
  ] as const)(
    'the $cookie cookie under an $scheme PUBLIC_URL is HttpOnly, SameSite=$sameSite, Path=/, host-only, Secure only over https',
    ({ cookie, scheme, name, sameSite }) => {
      const { name: cookieName, attributes } = parseSetCookie(lines[scheme][cookie]);
      expect(cookieName).toMatch(name);
      // Out of reach of the page's scripts: an XSS cannot read the session or the PKCE verifier.
      expect(attributes.has('httponly')).toBe(true);
      expect(attributes.get('samesite')).toBe(sameSite);
      expect(attributes.get('path')).toBe('/');
      // RFC 6265bis §4.1.3.2: no Domain, so no sibling subdomain ever receives or overwrites it.
      expect(attributes.has('domain')).toBe(false);
      expect(attributes.has('secure')).toBe(scheme === 'https');
    },
  );

  it.each(['http', 'https'] as const)(
    'under an %s PUBLIC_URL the pending-login cookie lives at most ten minutes and the session cookie no longer than the session',
    (scheme) => {
      const maxAge = (line: string): number =>
        Number(parseSetCookie(line).attributes.get('max-age'));
      expect(maxAge(lines[scheme].login)).toBeGreaterThan(0);
      expect(maxAge(lines[scheme].login)).toBeLessThanOrEqual(600);
      expect(maxAge(lines[scheme].session)).toBeGreaterThan(0);
      expect(maxAge(lines[scheme].session)).toBeLessThanOrEqual(
        harness.config.sessionAbsoluteTimeoutSeconds,
      );
    },
  );
});
