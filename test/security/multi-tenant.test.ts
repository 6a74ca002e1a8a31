// Entra multi-tenant login (GRAPH_TENANT_ID=organizations): discovery's `{tenantid}` issuer, the ID token's `tid` against GRAPH_ALLOWED_TENANTS.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sessionCookieName, type GatewayHarness } from '../support/gateway-harness.ts';
import {
  type Script,
  type ScriptedAuthorizationServer,
} from '../support/scripted-authorization-server.ts';
import { useScriptedGatewayHarness } from '../support/scripted-gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

const host = '127.0.0.1';

let stand: ScriptedAuthorizationServer;
let harness: GatewayHarness;
/** The stand-in's own tenant, and a second allowed one, configured in upper case. */
let allowedTenant: string;
const secondAllowedTenant = randomUUID();

useScriptedGatewayHarness(
  {
    multiTenant: true,
    environment: (server) => ({
      GRAPH_TENANT_ID: 'organizations',
      GRAPH_ALLOWED_TENANTS: `${server.tenantId},${secondAllowedTenant.toUpperCase()}`,
      PROVIDER_TIMEOUT_S: '2',
    }),
  },
  (started) => {
    ({ stand, harness } = started);
    allowedTenant = stand.tenantId;
  },
);

interface Attempt {
  readonly response: Response;
  readonly state: string;
  readonly tokenRequestsMade: number;
}
type SessionStatus = { authenticated: boolean; user: Record<string, unknown> | null };

/** One login through the gateway with the provider answering as `script` says. */
async function attempt(browser: TestBrowser, script: Script): Promise<Attempt> {
  stand.script = script;
  const tokenRequestsBefore = stand.tokenRequests.length;
  const response = await harness.login(browser, '?return_to=%2Finbox%3Ffolder%3D1');
  return {
    response,
    state: stand.authorizationRequests.at(-1)?.state ?? '',
    tokenRequestsMade: stand.tokenRequests.length - tokenRequestsBefore,
  };
}

async function sessionOf(browser: TestBrowser): Promise<SessionStatus> {
  return (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as SessionStatus;
}

/** Codes, ID tokens and the client secret stay out of every log line (contract §5) and every answer. */
function expectNothingLeaked(seen: string): void {
  const logs = harness.logs.join('\n');
  for (const secret of [stand.clientSecret, ...stand.issuedSecrets]) {
    expect(logs.includes(secret)).toBe(false);
    expect(seen.includes(secret)).toBe(false);
  }
}

/** Signed in: 302 to return_to, a session cookie, and `/auth/session` showing the user. */
async function expectSignedIn(browser: TestBrowser, result: Attempt): Promise<void> {
  const { response } = result;
  const location = response.headers.get('location') ?? '';
  expect(response.status).toBe(302);
  expect(location).toBe(`${harness.url}/inbox?folder=1`);
  expect(browser.cookie(host, sessionCookieName)).toBeTruthy();
  const session = await sessionOf(browser);
  expect(session).toMatchObject({
    authenticated: true,
    user: { sub: stand.user.sub, name: stand.user.name, email: stand.user.email },
  });
  expectNothingLeaked(`${location}\n${await response.text()}`);
}

/**
 * Refused after the code was redeemed (the tenant is only known from the ID token): 302 into the
 * app with `bff_error`, no session cookie, the login cookie expired, nothing leaked.
 */
async function expectRefused(browser: TestBrowser, result: Attempt, code: string): Promise<void> {
  const { response, state } = result;
  const location = response.headers.get('location') ?? '';
  expect(response.status).toBe(302);
  expect(location.startsWith(`${harness.url}/`)).toBe(true);
  const url = new URL(location);
  expect(url.pathname).toBe('/inbox');
  expect(url.searchParams.get('bff_error')).toBe(code);
  expect(url.searchParams.get('bff_provider')).toBe('graph');
  expect(result.tokenRequestsMade).toBe(1);
  const setCookies = response.headers.getSetCookie();
  expect(setCookies.filter((line) => line.startsWith(`${sessionCookieName}=`))).toEqual([]);
  const loginCookie = harness.gateway.dependencies.loginCookie.name(state);
  expect(setCookies.find((line) => line.startsWith(`${loginCookie}=`))).toMatch(/Max-Age=0/i);
  expect(browser.cookie(host, loginCookie)).toBeUndefined();
  expect(browser.cookie(host, sessionCookieName)).toBeUndefined();
  expect(await sessionOf(browser)).toMatchObject({ authenticated: false, user: null });
  expectNothingLeaked(`${location}\n${await response.text()}`);
}

describe('multi-tenant login (GRAPH_TENANT_ID=organizations)', () => {
  it('a user of an allowed tenant signs in: 302 to return_to, session cookie set, /auth/session shows the user', async () => {
    const browser = new TestBrowser();
    await expectSignedIn(browser, await attempt(browser, { tenantId: allowedTenant }));
  });

  it('a user of a tenant not in the list is refused with tenant_not_allowed and no session', async () => {
    const browser = new TestBrowser();
    const result = await attempt(browser, { tenantId: randomUUID() });
    await expectRefused(browser, result, 'tenant_not_allowed');
  });

  it.each([
    ['a tenant not in the list', () => randomUUID()],
    ['another allowed tenant', () => secondAllowedTenant],
  ])(
    'an ID token whose iss names %s, not its tid, is refused with invalid_id_token',
    async (_sentence, issuerTenant) => {
      const browser = new TestBrowser();
      const script = { tenantId: allowedTenant, issuerTenantId: issuerTenant() };
      await expectRefused(browser, await attempt(browser, script), 'invalid_id_token');
    },
  );

  // The tenant is checked before the issuer is built from it, so a disallowed tid never gets that far.
  it('an ID token whose iss names an allowed tenant but whose tid does not is refused with tenant_not_allowed', async () => {
    const browser = new TestBrowser();
    const script = { tenantId: randomUUID(), issuerTenantId: allowedTenant };
    await expectRefused(browser, await attempt(browser, script), 'tenant_not_allowed');
  });

  it.each([
    ['an upper-case tid for a tenant listed in lower case', () => allowedTenant.toUpperCase()],
    ['a lower-case tid for a tenant listed in upper case', () => secondAllowedTenant],
  ])('a tenant id differing only in letter case is accepted: %s', async (_sentence, tenantId) => {
    const browser = new TestBrowser();
    await expectSignedIn(browser, await attempt(browser, { tenantId: tenantId() }));
  });

  it('no log line carries a code, an ID token or the client secret', async () => {
    const issuedBefore = stand.issuedSecrets.length;
    for (const script of [{}, { tenantId: randomUUID() }, { issuerTenantId: randomUUID() }])
      await (await attempt(new TestBrowser(), script)).response.text();
    // A code, an access token, a refresh token and an ID token for each of the three logins.
    expect(stand.issuedSecrets.length - issuedBefore).toBe(12);
    expectNothingLeaked('');
  });
});

describe('multi-tenant refresh', () => {
  /** Past the stand-in's 3600 s access-token lifetime. */
  const pastExpiryMs = 2 * 60 * 60 * 1000;
  const csrf = { 'x-csrf': '1' };

  it("accepts a refresh whose ID token names an allowed tenant, validated against that tenant's issuer", async () => {
    const browser = new TestBrowser();
    expect((await attempt(browser, {})).response.status).toBe(302);
    harness.clock.advance(pastExpiryMs);
    const before = stand.tokenRequests.length;
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(200);
    expect(stand.tokenRequests.slice(before)).toMatchObject([
      { grantType: 'refresh_token', refreshTokenState: 'latest' },
    ]);
  });

  it('refuses a refresh whose ID token names a tenant outside the list: refresh_failed, tokens gone', async () => {
    const browser = new TestBrowser();
    expect((await attempt(browser, {})).response.status).toBe(302);
    harness.clock.advance(pastExpiryMs);
    stand.script = { tenantId: randomUUID() };
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'refresh_failed', provider: 'graph' });
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      providers: { graph: { connected: boolean } };
    };
    expect(session.providers.graph.connected).toBe(false);
  });
});

describe('multi-tenant back-channel logout', () => {
  const backChannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

  /** A logout token for the stand-in's user, issued now by the gateway's (moved) clock. */
  function logoutToken(issuer: string): string {
    const now = Math.floor(harness.clock.now() / 1000);
    return stand.signLogoutToken({
      iss: issuer,
      aud: stand.clientId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      sub: stand.user.sub,
      events: { [backChannelEvent]: {} },
    });
  }

  function post(token: string): Promise<Response> {
    return fetch(`${harness.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });
  }

  it("accepts only the issuer of an allowed tenant, the user's own, and then ends the session", async () => {
    const browser = new TestBrowser();
    expect((await attempt(browser, {})).response.status).toBe(302);
    const outsider = stand.issuer.replace(allowedTenant, randomUUID());
    expect((await post(logoutToken(outsider))).status).toBe(400);
    expect((await post(logoutToken(stand.discoveryIssuer))).status).toBe(400);
    for (const tenant of ['common', 'organizations', '{tenantid}'])
      expect((await post(logoutToken(stand.issuer.replace(allowedTenant, tenant)))).status).toBe(
        400,
      );
    expect((await sessionOf(browser)).authenticated).toBe(true);
    expect((await post(logoutToken(stand.issuer))).status).toBe(200);
    expect((await sessionOf(browser)).authenticated).toBe(false);
  });
});
