// Office single sign-on (contract §6): POST /auth/sso/graph redeems the add-in's SSO token On-Behalf-Of against the real OpenID provider stand-in.
import { describe, expect, it } from 'vitest';
import { auditLinesOf, parsedLogLines } from '../support/log-lines.ts';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { dumpStore } from '../support/store-dump.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
// cp1 declared: the On-Behalf-Of request must carry it like every authorization and refresh request.
useGatewayHarness({ GRAPH_CLIENT_CAPABILITIES: 'cp1' }, (started) => (harness = started), {
  serviceNow: true,
});

const csrf = { 'x-csrf': '1' };
const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Past the 300 s access-token lifetime of the stand-in, well inside the 8 h idle timeout. */
const pastExpiryMs = 10 * 60 * 1000;

function signInWithSso(browser: TestBrowser, ssoToken: string): Promise<Response> {
  return browser.fetch(`${harness.url}/auth/sso/graph`, {
    method: 'POST',
    headers: { ...csrf, authorization: `Bearer ${ssoToken}` },
  });
}

async function storedGraphTokens(browser: TestBrowser) {
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
    await sessionIdOf(browser),
  );
  const tokens = snapshot?.providers.get('graph');
  if (tokens === undefined) throw new Error('the session holds no Graph tokens');
  return tokens;
}

describe('POST /auth/sso/graph', () => {
  it('creates a session from a valid SSO token without any redirect, and Graph accepts the On-Behalf-Of token', async () => {
    const browser = new TestBrowser();
    const ssoToken = await harness.openIdProvider.onBehalfOf.issueSsoToken({ sub: 'alice' });
    const response = await signInWithSso(browser, ssoToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ provider: 'graph', ok: true });
    expect(browser.cookie('127.0.0.1', 'bff-session')).toBeDefined();

    // What the token endpoint received: the On-Behalf-Of request, with the client authenticated.
    expect(harness.openIdProvider.onBehalfOf.requests.at(-1)).toEqual({
      assertion: ssoToken,
      requestedTokenUse: 'on_behalf_of',
      scope: 'openid profile email offline_access User.Read',
      clientId: harness.openIdProvider.clientId,
      claims: JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } } }),
    });
    expect(harness.openIdProvider.tokenRequests.at(-1)).toEqual({
      grantType: jwtBearer,
      clientAuthentication: 'post',
    });

    const session: unknown = await (await browser.fetch(`${harness.url}/auth/session`)).json();
    expect(session).toMatchObject({
      authenticated: true,
      user: { sub: 'alice', name: 'Alice', email: 'alice@contoso.example' },
      providers: { graph: { connected: true } },
    });
    harness.graph.reset();
    const me = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(me.status).toBe(200);
    const bearer = harness.graph.requests.at(-1)?.headers.authorization ?? '';
    expect(bearer).toBe(`Bearer ${(await storedGraphTokens(browser)).accessToken}`);
    expect(bearer).not.toContain(ssoToken);
    expect(await harness.openIdProvider.introspect(bearer.slice('Bearer '.length))).toMatchObject({
      sub: 'alice',
    });
    expect(auditLinesOf(harness.logs, 'login').at(-1)).toMatchObject({
      provider: 'graph',
      sub: 'alice',
      outcome: 'success',
      via: 'office_sso',
    });
  });

  it('joins the browser session it finds: ServiceNow stays connected and the session id changes', async () => {
    const browser = new TestBrowser();
    expect((await harness.loginServiceNow(browser)).status).toBe(302);
    const before = await sessionIdOf(browser);
    // Office's SSO token names the add-in's Application ID URI as its audience.
    const ssoToken = await harness.openIdProvider.onBehalfOf.issueSsoToken({
      sub: 'bob',
      audience: `api://127.0.0.1/${harness.openIdProvider.clientId}`,
    });
    expect((await signInWithSso(browser, ssoToken)).status).toBe(200);
    const after = await sessionIdOf(browser);
    expect(after).not.toBe(before);
    expect(await harness.gateway.dependencies.sessions.loadSnapshot(before)).toBeNull();
    const session: unknown = await (await browser.fetch(`${harness.url}/auth/session`)).json();
    expect(session).toMatchObject({
      user: { sub: 'bob' },
      providers: { graph: { connected: true }, servicenow: { connected: true } },
    });
  });

  it('answers interaction_required with its claims as a claims_challenge reauth whose popup login carries them', async () => {
    const browser = new TestBrowser();
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}';
    harness.openIdProvider.onBehalfOf.failNext({ error: 'interaction_required', claims });
    const response = await signInWithSso(
      browser,
      await harness.openIdProvider.onBehalfOf.issueSsoToken(),
    );
    expect(response.status).toBe(401);
    const problem = (await response.json()) as Record<string, string>;
    expect(problem).toMatchObject({
      type: 'urn:bff:reauth-required',
      provider: 'graph',
      reason: 'claims_challenge',
    });
    expect(problem.provider_error).toBeUndefined();
    const loginUrl = new URL(problem.login_url ?? '', harness.url);
    expect(loginUrl.pathname).toBe('/auth/login/graph');
    expect(loginUrl.searchParams.get('mode')).toBe('popup');
    const encoded = loginUrl.searchParams.get('claims') ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(claims);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(auditLinesOf(harness.logs, 'login_failed').at(-1)).toMatchObject({
      reason: 'reauth_required',
      provider_error: 'interaction_required',
      aadsts: '50079',
    });
  });

  it('keeps claims whose base64 holds "+" and "/" intact through the login_url to the authorization request', async () => {
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"?>?>"}}}';
    const encoded = Buffer.from(claims).toString('base64');
    expect(encoded).toMatch(/[+]/);
    expect(encoded).toMatch(/[/]/);
    harness.openIdProvider.onBehalfOf.failNext({ error: 'interaction_required', claims });
    const browser = new TestBrowser();
    const response = await signInWithSso(
      browser,
      await harness.openIdProvider.onBehalfOf.issueSsoToken(),
    );
    const { login_url: loginUrl } = (await response.json()) as { login_url: string };
    expect(new URL(loginUrl, harness.url).searchParams.get('claims')).toBe(encoded);
    const login = await browser.fetch(`${harness.url}${loginUrl}`);
    expect(login.status).toBe(302);
    const authorization = new URL(login.headers.get('location') ?? '');
    expect(JSON.parse(authorization.searchParams.get('claims') ?? 'null')).toMatchObject(
      JSON.parse(claims) as object,
    );
  });

  it.each([
    [
      'longer than the login endpoint takes once encoded',
      JSON.stringify({ access_token: { nbf: { essential: true, value: 'x'.repeat(3400) } } }),
    ],
    [
      'far too long',
      JSON.stringify({ access_token: { nbf: { essential: true, value: 'x'.repeat(5000) } } }),
    ],
    ['a JSON array', '[{"access_token":{}}]'],
    ['an object whose member is not an object', '{"access_token":1}'],
    ['not JSON', '{"access_token":'],
  ])(
    'answers interaction_required with claims that are %s with a login_url the login endpoint accepts',
    async (_name, claims) => {
      harness.openIdProvider.onBehalfOf.failNext({ error: 'interaction_required', claims });
      const browser = new TestBrowser();
      const response = await signInWithSso(
        browser,
        await harness.openIdProvider.onBehalfOf.issueSsoToken(),
      );
      expect(response.status).toBe(401);
      const { login_url: loginUrl } = (await response.json()) as { login_url: string };
      expect(loginUrl.startsWith('/auth/login/graph?mode=popup')).toBe(true);
      expect((await browser.fetch(`${harness.url}${loginUrl}`)).status).toBe(302);
    },
  );

  it('answers consent_required (AADSTS65001) with a not_connected reauth to a popup sign-in', async () => {
    harness.openIdProvider.onBehalfOf.failNext({ error: 'consent_required' });
    const response = await signInWithSso(
      new TestBrowser(),
      await harness.openIdProvider.onBehalfOf.issueSsoToken(),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      type: 'urn:bff:reauth-required',
      reason: 'not_connected',
      login_url: '/auth/login/graph?mode=popup',
    });
  });

  it('answers an identity provider outage with 503 provider-unavailable and leaves the session as it was', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const before = await dumpStore(harness.redis);
    harness.openIdProvider.onBehalfOf.failNext({ error: 'unavailable' });
    const response = await signInWithSso(
      browser,
      await harness.openIdProvider.onBehalfOf.issueSsoToken({ sub: 'bob' }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:provider-unavailable' });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await dumpStore(harness.redis)).toEqual(before);
  });

  it('answers invalid_client with 502 provider-misconfigured, logged as an error', async () => {
    harness.openIdProvider.onBehalfOf.failNext({ error: 'invalid_client' });
    const ssoToken = await harness.openIdProvider.onBehalfOf.issueSsoToken();
    // Only this request's lines: an earlier test's error line must not stand in for this one.
    const linesBefore = harness.logs.length;
    const response = await signInWithSso(new TestBrowser(), ssoToken);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:provider-misconfigured' });
    const errors = parsedLogLines(harness.logs.slice(linesBefore)).filter(
      (line) => line.level === 'error',
    );
    expect(errors.at(-1)).toMatchObject({
      provider: 'graph',
      msg: expect.stringMatching(/client id/) as unknown,
    });
  });

  // Last: it moves the gateway's clock, which later SSO tokens (minted on the real clock) would fail.
  it('stores the On-Behalf-Of tokens like any login: a later refresh replaces them', async () => {
    const browser = new TestBrowser();
    const ssoToken = await harness.openIdProvider.onBehalfOf.issueSsoToken({ sub: 'carol' });
    expect((await signInWithSso(browser, ssoToken)).status).toBe(200);
    const issued = await storedGraphTokens(browser);
    expect(issued.refreshToken).not.toBeNull();
    harness.clock.advance(pastExpiryMs);
    harness.graph.reset();
    expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(
      200,
    );
    expect(harness.openIdProvider.tokenRequests.at(-1)?.grantType).toBe('refresh_token');
    const refreshed = await storedGraphTokens(browser);
    expect(refreshed.accessToken).not.toBe(issued.accessToken);
    expect(harness.graph.requests.at(-1)?.headers.authorization).toBe(
      `Bearer ${refreshed.accessToken}`,
    );
    expect(auditLinesOf(harness.logs, 'refresh').at(-1)).toMatchObject({ sub: 'carol' });
  });
});
