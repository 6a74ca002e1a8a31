// Continuous access evaluation end to end: a Graph claims challenge → reauth claims_challenge → a sign-in carrying the claims → Graph answers again.
import { beforeEach, describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import {
  graphUnauthorizedBody,
  graphUnauthorizedChallenge,
  type ChallengeStyle,
} from '../support/mock-graph.ts';
import {
  claimsChallengeHeader,
  continuousAccessBody,
  revocationClaims,
} from '../support/mock-graph/continuous-access.ts';
import { sendJson } from '../support/mock-graph/responses.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ GRAPH_CLIENT_CAPABILITIES: 'cp1' }, (started) => {
  harness = started;
});

const csrf = { 'x-csrf': '1' };
const capabilities = { xms_cc: { values: ['cp1'] } };
let browser: TestBrowser;
let subject: string;

beforeEach(async () => {
  harness.graph.reset();
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(200);
  const session = await browser.fetch(`${harness.url}/auth/session`);
  subject = ((await session.json()) as { user: { sub: string } }).user.sub;
  harness.graph.reset();
});

const refreshGrants = (): number =>
  harness.openIdProvider.tokenRequests.filter((request) => request.grantType === 'refresh_token')
    .length;

/** Where the gateway sends the browser for `loginPath`: the authorization request, unrequested. */
async function authorizationRequest(loginPath: string): Promise<URL> {
  const issuer = harness.config.providers.get('graph')?.authorizationServer.issuer.href ?? '';
  return browser.followUntil(`${harness.url}${loginPath}`, new URL(issuer).origin);
}

const claimsOf = (url: URL): unknown => JSON.parse(url.searchParams.get('claims') ?? 'null');

describe('client capabilities (GRAPH_CLIENT_CAPABILITIES=cp1)', () => {
  it('declares cp1 in the claims parameter of every authorization request', async () => {
    const url = await authorizationRequest('/auth/login/graph');
    expect(claimsOf(url)).toEqual({ access_token: capabilities });
  });
});

describe('a claims challenge from Graph', () => {
  it.each<ChallengeStyle>(['quoted', 'unquoted', 'bare-error'])(
    'becomes a 401 reauth claims_challenge at once, with the challenge in login_url (%s)',
    async (challengeStyle) => {
      const { notBefore } = harness.graph.revokeContinuousAccess(subject, { challengeStyle });
      const grantsBefore = refreshGrants();
      const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate') ?? '').not.toMatch(/insufficient_claims/);
      const problem = (await response.json()) as Record<string, string>;
      expect(problem).toMatchObject({
        type: 'urn:bff:reauth-required',
        provider: 'graph',
        reason: 'claims_challenge',
      });
      expect(problem.provider_error).toBeUndefined();
      const loginUrl = new URL(problem.login_url ?? '', harness.url);
      expect(loginUrl.pathname).toBe('/auth/login/graph');
      const claims = JSON.parse(
        Buffer.from(loginUrl.searchParams.get('claims') ?? '', 'base64').toString(),
      ) as unknown;
      expect(claims).toEqual({
        access_token: { nbf: { essential: true, value: String(notBefore) } },
      });
      // Never a retry with the same token, and no refresh: only a sign-in satisfies the challenge.
      expect(harness.graph.requests).toHaveLength(1);
      expect(refreshGrants()).toBe(grantsBefore);
    },
  );

  it('is satisfied by the sign-in its login_url starts: the claims reach the authorization request', async () => {
    const { notBefore } = harness.graph.revokeContinuousAccess(subject, {
      challengeStyle: 'unquoted',
    });
    const challenged = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    const { login_url: loginUrl } = (await challenged.json()) as { login_url: string };
    const authorization = await authorizationRequest(loginUrl);
    expect(claimsOf(authorization)).toEqual({
      access_token: { nbf: { essential: true, value: String(notBefore) }, ...capabilities },
    });
    // A token issued from the revocation's second on satisfies the challenge.
    while (Date.now() < notBefore * 1000) await new Promise((resolve) => setTimeout(resolve, 50));
    // Through the IdP and the callback, on to return_to (`/`, which no app serves here).
    await (await browser.fetch(authorization, { follow: true })).body?.cancel();
    const me = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(me.status).toBe(200);
  });

  it('with claims that do not decode still asks for a sign-in, without claims', async () => {
    harness.graph.revokeContinuousAccess(subject, {
      challengeStyle: 'quoted',
      encodedClaims: Buffer.from('not json').toString('base64'),
    });
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      reason: 'claims_challenge',
      login_url: '/auth/login/graph',
    });
  });

  it('answering the replay after a refresh is still a claims_challenge reauth, never upstream_rejected', async () => {
    // The first 401 is an ordinary one (refresh and replay); the replay meets the challenge.
    const encodedClaims = revocationClaims(Math.floor(Date.now() / 1000));
    let answered = 0;
    harness.graph.route('GET', '/v1.0/me', (_request, response) => {
      answered += 1;
      if (answered === 1)
        sendJson(response, 401, graphUnauthorizedBody, {
          'www-authenticate': graphUnauthorizedChallenge,
        });
      else
        sendJson(response, 401, continuousAccessBody, {
          'www-authenticate': claimsChallengeHeader('quoted', encodedClaims),
        });
    });
    const grantsBefore = refreshGrants();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(answered).toBe(2);
    expect(refreshGrants()).toBe(grantsBefore + 1);
    expect(response.status).toBe(401);
    const problem = (await response.json()) as Record<string, string>;
    expect(problem).toMatchObject({ provider: 'graph', reason: 'claims_challenge' });
    const loginUrl = new URL(problem.login_url ?? '', harness.url);
    expect(loginUrl.searchParams.get('claims')).toBe(encodedClaims);
  });

  it('keeps the session and its tokens: other requests and the session view still work', async () => {
    harness.graph.revokeContinuousAccess(subject, { challengeStyle: 'quoted' });
    expect((await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf })).status).toBe(
      401,
    );
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      providers: { graph: { connected: boolean } };
    };
    expect(session.providers.graph.connected).toBe(true);
  });

  it('is an audit line with reason claims_challenge and no claims, token or cookie', async () => {
    harness.graph.revokeContinuousAccess(subject, { challengeStyle: 'quoted' });
    const linesBefore = harness.logs.length;
    await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    const lines = harness.logs.slice(linesBefore);
    const audit = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.audit === true && line.event === 'reauth');
    expect(audit).toMatchObject({ provider: 'graph', reason: 'claims_challenge' });
    for (const secret of [
      ...harness.openIdProvider.issuedSecrets,
      ...browser.cookieValues('127.0.0.1'),
    ]) {
      expect(lines.join('\n')).not.toContain(secret);
    }
  });
});

describe('the login endpoint', () => {
  it.each([
    ['not base64', 'claims=%3Cscript%3E'],
    ['base64 of text', `claims=${Buffer.from('hello').toString('base64')}`],
    ['base64 of a JSON array', `claims=${Buffer.from('[]').toString('base64')}`],
    ['too long', `claims=${'A'.repeat(5000)}`],
  ])('refuses a claims parameter that is %s with a 400 naming it', async (_name, query) => {
    const response = await browser.fetch(`${harness.url}/auth/login/graph?${query}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/claims/);
  });
});
