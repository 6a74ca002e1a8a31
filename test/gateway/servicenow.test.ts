// The servicenow provider end to end (contract §2–§4): plain OAuth 2.0 login with PKCE, the /servicenow proxy, non-rotating refresh, and ServiceNow's own failure answers.
import { beforeEach, describe, expect, it } from 'vitest';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import {
  serviceNowFailures,
  serviceNowUnauthenticatedBody,
  serviceNowUnauthenticatedChallenge,
  type ServiceNowStandIn,
} from '../support/servicenow-stand-in.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
let serviceNow: ServiceNowStandIn;
useGatewayHarness(
  {},
  (started) => {
    harness = started;
    if (started.serviceNow === null) throw new Error('the harness has no ServiceNow stand-in');
    serviceNow = started.serviceNow;
  },
  { serviceNow: true },
);

const csrf = { 'x-csrf': '1' };
/** Past ServiceNow's 1800 s access-token lifetime. */
const pastExpiryMs = 31 * 60 * 1000;
const incidents = (browser: TestBrowser): Promise<Response> =>
  browser.fetch(`${harness.url}/servicenow/api/now/table/incident?sysparm_limit=5`, {
    headers: csrf,
  });

interface SessionStatus {
  authenticated: boolean;
  user: { sub: string } | null;
  providers: Record<string, { connected: boolean }>;
}
async function sessionOf(browser: TestBrowser): Promise<SessionStatus> {
  return (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as SessionStatus;
}
async function storedTokens(browser: TestBrowser, provider: 'graph' | 'servicenow') {
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
    await sessionIdOf(browser),
  );
  return snapshot?.providers.get(provider) ?? null;
}
const serviceNowRefreshes = (): number =>
  serviceNow.tokenRequests.filter((request) => request.grantType === 'refresh_token').length;

let browser: TestBrowser;
beforeEach(async () => {
  serviceNow.refreshScript = 'tokens';
  browser = new TestBrowser();
  expect((await harness.loginServiceNow(browser)).status).toBe(302);
});

describe('servicenow sign-in', () => {
  it('signs in with plain OAuth 2.0: PKCE S256, credentials in the form body, no ID token, user null', async () => {
    expect(serviceNow.authorizationRequests.at(-1)).toMatchObject({
      codeChallengeMethod: 'S256',
      scope: 'useraccount',
      redirectUri: `${harness.url}/auth/callback/servicenow`,
    });
    expect(serviceNow.tokenRequests.at(-1)).toMatchObject({
      grantType: 'authorization_code',
      contentType: expect.stringContaining('application/x-www-form-urlencoded') as string,
      clientAuthenticated: true,
      pkceMatched: true,
    });
    expect(await sessionOf(browser)).toMatchObject({
      authenticated: true,
      user: null,
      providers: { servicenow: { connected: true }, graph: { connected: false } },
    });
  });

  it('adds Graph to the same session under a new session id, keeping ServiceNow', async () => {
    const before = await sessionIdOf(browser);
    expect((await harness.login(browser)).status).toBe(302);
    expect(await sessionIdOf(browser)).not.toBe(before);
    expect(await sessionOf(browser)).toMatchObject({
      authenticated: true,
      user: { sub: 'alice' },
      providers: { servicenow: { connected: true }, graph: { connected: true } },
    });
    expect((await incidents(browser)).status).toBe(200);
  });
});

describe('the /servicenow proxy', () => {
  it('forwards with the ServiceNow bearer, which the instance accepts', async () => {
    const response = await incidents(browser);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: unknown[] }).result.length).toBeGreaterThan(0);
    expect(serviceNow.apiRequests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/now/table/incident',
      bearer: 'valid',
    });
  });

  it('refreshes without rotation: the one refresh token ServiceNow issued is kept', async () => {
    const before = await storedTokens(browser, 'servicenow');
    harness.clock.advance(pastExpiryMs);
    const refreshes = serviceNowRefreshes();
    expect((await incidents(browser)).status).toBe(200);
    expect(serviceNowRefreshes()).toBe(refreshes + 1);
    expect(serviceNow.tokenRequests.at(-1)).toMatchObject({ refreshTokenKnown: true });
    const after = await storedTokens(browser, 'servicenow');
    expect(after?.accessToken).not.toBe(before?.accessToken);
    expect(after?.refreshToken).toBe(before?.refreshToken);
    expect(serviceNow.apiRequests.at(-1)?.bearer).toBe('valid');
  });

  it('a revoked refresh token (401 server_error/access_denied) → refresh_failed, Graph of the same session untouched', async () => {
    expect((await harness.login(browser)).status).toBe(302); // both providers in one session
    const graphBefore = await storedTokens(browser, 'graph');
    serviceNow.revokeRefreshTokens();
    harness.clock.advance(pastExpiryMs);
    const response = await incidents(browser);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      type: 'urn:bff:reauth-required',
      provider: 'servicenow',
      reason: 'refresh_failed',
      provider_error: 'server_error',
      login_url: '/auth/login/servicenow',
    });
    expect(await storedTokens(browser, 'servicenow')).toBeNull();
    expect(await storedTokens(browser, 'graph')).toEqual(graphBefore);
    expect((await sessionOf(browser)).providers).toMatchObject({
      servicenow: { connected: false },
      graph: { connected: true },
    });
    // The same answer also means a wrong client secret: operators are told to look.
    expect(harness.logs.some((line) => line.includes('wrong client credentials'))).toBe(true);
  });

  it('a ServiceNow token endpoint answering 503 → 503 with Retry-After, tokens kept', async () => {
    const before = await storedTokens(browser, 'servicenow');
    serviceNow.refreshScript = serviceNowFailures.serviceUnavailableHtml();
    harness.clock.advance(pastExpiryMs);
    const response = await incidents(browser);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await storedTokens(browser, 'servicenow')).toEqual(before);
  });

  it('an API 401 to a revoked access token: one refresh, one replay, 200, and no Basic challenge ever reaches the browser', async () => {
    serviceNow.rejectAccessTokens();
    const refreshes = serviceNowRefreshes();
    const response = await incidents(browser);
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(serviceNowRefreshes()).toBe(refreshes + 1);
    expect(serviceNow.apiRequests.slice(-2).map((request) => request.bearer)).toEqual([
      'invalid',
      'valid',
    ]);
  });

  it('a second API 401 → reauth upstream_rejected with the gateway’s own Bearer challenge, never Basic', async () => {
    const remove = serviceNow.route('GET', '/api/now/table/incident', (_request, response) => {
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': serviceNowUnauthenticatedChallenge,
      });
      response.end(JSON.stringify(serviceNowUnauthenticatedBody));
    });
    try {
      const response = await incidents(browser);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bff"');
      expect(await response.json()).toMatchObject({ reason: 'upstream_rejected' });
      expect(await storedTokens(browser, 'servicenow')).not.toBeNull();
    } finally {
      remove();
    }
  });

  it.each([
    [403, { 'content-type': 'application/json' }, 'Missing required api access scope'],
    [
      429,
      {
        'content-type': 'application/json',
        'retry-after': '12',
        'x-ratelimit-limit': '100',
        'x-ratelimit-reset': '1790000000',
        'x-ratelimit-rule': 'rule-1',
      },
      'Rate limit exceeded',
    ],
  ])(
    'passes a ServiceNow %i through untouched, without refreshing',
    async (status, headers, message) => {
      const remove = serviceNow.route('GET', '/api/now/table/incident', (_request, response) => {
        response.writeHead(status, headers);
        response.end(JSON.stringify({ error: { message, detail: null }, status: 'failure' }));
      });
      try {
        const refreshes = serviceNowRefreshes();
        const response = await incidents(browser);
        expect(response.status).toBe(status);
        for (const [name, value] of Object.entries(headers))
          expect(response.headers.get(name)).toBe(value);
        expect(await response.json()).toMatchObject({ error: { message } });
        expect(serviceNowRefreshes()).toBe(refreshes);
      } finally {
        remove();
      }
    },
  );

  it('never writes a ServiceNow token, code or secret to a log line', () => {
    const secrets = [...serviceNow.issuedSecrets, serviceNow.clientSecret];
    for (const line of harness.logs)
      for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
