// Refresh failures classified honestly (contract §4, providers.md): sign in again, try again later, or the gateway is misconfigured.
import { beforeEach, describe, expect, it } from 'vitest';
import { sessionIdOf, type GatewayHarness } from '../support/gateway-harness.ts';
import {
  tokenEndpointFailures,
  type Script,
  type ScriptedAuthorizationServer,
} from '../support/scripted-authorization-server.ts';
import { useScriptedGatewayHarness } from '../support/scripted-gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

const providerTimeoutSeconds = 2;
/** Past the stand-in's 3600 s access-token lifetime. */
const pastExpiryMs = 2 * 60 * 60 * 1000;
const csrf = { 'x-csrf': '1' };

let stand: ScriptedAuthorizationServer;
let harness: GatewayHarness;
useScriptedGatewayHarness(
  { environment: () => ({ PROVIDER_TIMEOUT_S: String(providerTimeoutSeconds) }) },
  (started) => ({ stand, harness } = started),
);

let browser: TestBrowser;
beforeEach(async () => {
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  harness.clock.advance(pastExpiryMs);
});

const refreshGrants = (): number =>
  stand.tokenRequests.filter((request) => request.grantType === 'refresh_token').length;
const callGraph = (): Promise<Response> =>
  browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
async function storedTokens() {
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
    await sessionIdOf(browser),
  );
  return snapshot?.providers.get('graph') ?? null;
}
async function connected(): Promise<boolean> {
  const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
    providers: { graph: { connected: boolean } };
  };
  return session.providers.graph.connected;
}
const auditLines = (event: string): Record<string, unknown>[] =>
  harness.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit === true && line.event === event);

describe('a refresh the authorization server rejects: sign in again', () => {
  it.each([
    [
      'invalid_grant (AADSTS700082, suberror bad_token)',
      tokenEndpointFailures.invalidGrantInactive(),
      'invalid_grant',
    ],
    ['invalid_grant (AADSTS70008)', tokenEndpointFailures.invalidGrant(), 'invalid_grant'],
    [
      'interaction_required (AADSTS50079, suberror basic_action)',
      tokenEndpointFailures.interactionRequired(),
      'interaction_required',
    ],
  ])(
    '%s → 401 refresh_failed with provider_error, tokens deleted, audited with the AADSTS code',
    async (_name, answer, providerError) => {
      stand.script = { refresh: answer };
      const response = await callGraph();
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        type: 'urn:bff:reauth-required',
        title: 'Re-authentication required',
        status: 401,
        detail: expect.any(String) as string,
        provider: 'graph',
        reason: 'refresh_failed',
        provider_error: providerError,
        login_url: '/auth/login/graph',
      });
      expect(await storedTokens()).toBeNull();
      expect(await connected()).toBe(false);
      const failed = auditLines('refresh_failed').at(-1);
      expect(failed).toMatchObject({
        provider: 'graph',
        outcome: 'failure',
        reason: 'rejected',
        provider_error: providerError,
      });
      expect(String(failed?.aadsts)).toMatch(/^\d+$/);
      if ('correlationId' in answer) expect(failed?.correlation_id).toBe(answer.correlationId);
      // Later requests get the same answer without asking the server again.
      const grants = refreshGrants();
      const again = await callGraph();
      expect(again.status).toBe(401);
      expect(await again.json()).toMatchObject({
        reason: 'refresh_failed',
        provider_error: providerError,
      });
      expect(refreshGrants()).toBe(grants);
    },
  );
});

describe('an authorization server that cannot answer now: 503, tokens kept', () => {
  it.each<[string, Script['refresh'], string]>([
    ['503 with an HTML body', tokenEndpointFailures.serviceUnavailableHtml(), '5'],
    [
      '503 with a JSON body and Retry-After: 7',
      tokenEndpointFailures.serviceUnavailableJson(),
      '7',
    ],
    [
      '429 with a plain-text body and Retry-After: 60',
      tokenEndpointFailures.tooManyRequestsText(),
      '60',
    ],
    ['temporarily_unavailable', tokenEndpointFailures.temporarilyUnavailable(), '5'],
  ])(
    '%s → 503 provider-unavailable with Retry-After, and the session works once it recovers',
    async (_name, answer, retryAfter) => {
      const before = await storedTokens();
      stand.script = { refresh: answer };
      const response = await callGraph();
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe(retryAfter);
      expect(await response.json()).toMatchObject({
        type: 'urn:bff:provider-unavailable',
        status: 503,
      });
      expect(await storedTokens()).toEqual(before);
      stand.script = {};
      // The failure is remembered for a one-second cool-down, so a storm does not hammer the server.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await callGraph()).status).toBe(200);
    },
  );

  it('a hanging token endpoint → 503 within PROVIDER_TIMEOUT_S, tokens kept', async () => {
    const before = await storedTokens();
    stand.script = { refresh: 'hang' };
    const started = performance.now();
    const response = await callGraph();
    const elapsedMs = performance.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(elapsedMs).toBeGreaterThan(providerTimeoutSeconds * 1000 - 100);
    expect(elapsedMs).toBeLessThan(providerTimeoutSeconds * 1000 + 1_500);
    expect(await storedTokens()).toEqual(before);
    stand.script = {};
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the one-second cool-down
    expect((await callGraph()).status).toBe(200);
  });
});

describe('an authorization server that says the gateway is misconfigured: 502, tokens kept, no reauth', () => {
  it.each([
    ['invalid_client (AADSTS7000215)', tokenEndpointFailures.invalidClient()],
    ['unauthorized_client', tokenEndpointFailures.unauthorizedClient()],
    ['invalid_request', tokenEndpointFailures.invalidRequest()],
    ['unsupported_grant_type', tokenEndpointFailures.unsupportedGrantType()],
  ])('%s → 502 provider-misconfigured, logged as an error', async (_name, answer) => {
    const before = await storedTokens();
    stand.script = { refresh: answer };
    const response = await callGraph();
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      type: 'urn:bff:provider-misconfigured',
      status: 502,
    });
    expect(await storedTokens()).toEqual(before);
    expect(await connected()).toBe(true);
    expect(
      harness.logs.some(
        (line) => line.includes('"level":"error"') && line.includes('refused the gateway itself'),
      ),
    ).toBe(true);
  });
});

describe('what a successful refresh stores', () => {
  it('keeps the stored refresh token when the answer carries none', async () => {
    const before = await storedTokens();
    stand.script = { refresh: 'tokens-without-refresh-token' };
    expect((await callGraph()).status).toBe(200);
    const after = await storedTokens();
    expect(after?.accessToken).not.toBe(before?.accessToken);
    expect(after?.refreshToken).toBe(before?.refreshToken);
  });

  it('stores the rotated refresh token, which the next refresh presents', async () => {
    expect((await callGraph()).status).toBe(200);
    expect((await storedTokens())?.refreshToken).toBe(stand.latestRefreshToken());
    harness.clock.advance(pastExpiryMs);
    expect((await callGraph()).status).toBe(200);
    expect(stand.tokenRequests.at(-1)).toMatchObject({
      grantType: 'refresh_token',
      refreshTokenState: 'latest',
    });
  });

  it('ends the connection when the refreshed ID token names another user (OpenID Connect Core §12.2)', async () => {
    const original = stand.user.sub;
    (stand.user as { sub: string }).sub = 'someone-else';
    try {
      const response = await callGraph();
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ reason: 'refresh_failed' });
    } finally {
      (stand.user as { sub: string }).sub = original;
    }
  });

  it('never writes a token, code or secret to a log line', () => {
    const secrets = [...stand.issuedSecrets, stand.clientSecret];
    for (const line of harness.logs)
      for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
