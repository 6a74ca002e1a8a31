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
async function httpsCookieLines(): Promise<{
  session: string;
  login: string;
  hsts: string | null;
}> {
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
    return {
      session: sessionLine ?? '',
      login: loginLine ?? '',
      hsts: login.headers.get('strict-transport-security'),
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
  let httpsStrictTransportSecurity: string | null = null;
  beforeAll(async () => {
    lines.http = await httpCookieLines();
    ({ hsts: httpsStrictTransportSecurity, ...lines.https } = await httpsCookieLines());
  });

  it('an https gateway makes the browser stay on https (HSTS); an http one says nothing', async () => {
    expect(httpsStrictTransportSecurity).toBe('max-age=31536000');
    const answer = await fetch(`${harness.url}/auth/session`);
    expect(answer.headers.get('strict-transport-security')).toBeNull();
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
