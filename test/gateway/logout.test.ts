// POST /auth/logout and /auth/logout/{provider}: the session's keys deleted, refresh tokens revoked, the end-session URL (contract §3).
import { describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/observability/secret-digest.ts';
import { sessionReference } from '../../src/observability/audit.ts';
import {
  sessionCookieName,
  sessionIdOf,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { auditLinesOf, type LogLine } from '../support/log-lines.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started), { serviceNow: true });

const csrf = { 'x-csrf': '1' };

/** A browser signed in to Graph, then to ServiceNow, joining one session; with the tokens it holds. */
async function signedInToBoth() {
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  expect((await harness.loginServiceNow(browser)).status).toBe(302);
  const sessionId = await sessionIdOf(browser);
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(sessionId);
  const graph = snapshot?.providers.get('graph');
  const serviceNow = snapshot?.providers.get('servicenow');
  if (graph === undefined || serviceNow === undefined) throw new Error('not signed in to both');
  return { browser, sessionId, graph, serviceNow };
}

function post(browser: TestBrowser, path: string, headers: Record<string, string> = csrf) {
  return browser.fetch(`${harness.url}${path}`, { method: 'POST', headers });
}

function auditLines(event: string): LogLine[] {
  return auditLinesOf(harness.logs, event);
}

/** Whether any key, or any member of an index set, still names this session. */
async function storeStillNames(sessionId: string): Promise<boolean> {
  const digest = secretDigest(sessionId);
  const client = harness.redis.client;
  for (const key of await client.keys('bff:*')) {
    if (key.includes(digest)) return true;
    if ((await client.type(key)) === 'set' && (await client.sismember(key, digest)) === 1)
      return true;
  }
  return false;
}

function serviceNowTableWith(accessToken: string): Promise<Response> {
  return fetch(`${harness.serviceNow?.url}/api/now/table/incident`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

describe('a login that joins the session', () => {
  it('leaves no key naming the session it replaced, indexes included', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const graphSessionId = await sessionIdOf(browser);
    expect(await storeStillNames(graphSessionId)).toBe(true);
    expect((await harness.loginServiceNow(browser)).status).toBe(302);
    expect(await storeStillNames(graphSessionId)).toBe(false);
  });
});

describe('POST /auth/logout', () => {
  it('without X-CSRF: 403 csrf, an audit line, and the session keeps working', async () => {
    const { browser } = await signedInToBoth();
    const before = auditLines('csrf_rejected').length;
    const response = await post(browser, '/auth/logout', {});
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:csrf' });
    expect(auditLines('csrf_rejected').length).toBe(before + 1);
    const proxied = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(proxied.status).toBe(200);
  });

  it('ends the session: no key names it any more, the cookie is expired, the old cookie answers session_expired', async () => {
    const { browser, sessionId } = await signedInToBoth();
    expect(await storeStillNames(sessionId)).toBe(true);
    const cookie = browser.cookie('127.0.0.1', sessionCookieName) ?? '';
    const response = await post(browser, '/auth/logout');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(browser.cookieAttributes('127.0.0.1', sessionCookieName)).toMatch(/Max-Age=0/i);
    expect(await storeStillNames(sessionId)).toBe(false);
    const replayed = new TestBrowser();
    replayed.setCookie('127.0.0.1', sessionCookieName, cookie);
    const proxied = await replayed.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(proxied.status).toBe(401);
    expect(await proxied.json()).toMatchObject({ reason: 'session_expired' });
  });

  it("answers Entra's end-session URL with client_id, post_logout_redirect_uri and logout_hint, and no token", async () => {
    const { browser, graph, serviceNow } = await signedInToBoth();
    const response = await post(browser, '/auth/logout');
    const text = await response.text();
    for (const token of [graph.accessToken, graph.refreshToken, serviceNow.accessToken])
      expect(text).not.toContain(token);
    const { end_session_url: endSessionUrl } = JSON.parse(text) as { end_session_url: string };
    const url = new URL(endSessionUrl);
    expect(`${url.origin}${url.pathname}`).toBe(
      `${new URL(harness.openIdProvider.issuer).origin}/${harness.openIdProvider.tenantId}/oauth2/v2.0/logout`,
    );
    expect(url.searchParams.get('client_id')).toBe(harness.openIdProvider.clientId);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${harness.url}/`);
    expect(url.searchParams.get('logout_hint')).toMatch(/^O\./);
    expect(url.searchParams.has('id_token_hint')).toBe(false);
    // The browser follows it: the provider signs it out and sends it back to the app.
    const atProvider = await browser.fetch(endSessionUrl);
    expect(atProvider.status).toBe(302);
    expect(atProvider.headers.get('location')).toBe(`${harness.url}/`);
    expect(harness.openIdProvider.logoutRequests.at(-1)).toMatchObject({
      logoutHint: url.searchParams.get('logout_hint'),
      idTokenHintPresent: false,
    });
  });

  it('revokes the ServiceNow refresh token (RFC 7009, client authenticated), which ends its access token too', async () => {
    const { browser, serviceNow } = await signedInToBoth();
    const revocations = harness.serviceNow?.revocationRequests ?? [];
    const before = revocations.length;
    expect((await serviceNowTableWith(serviceNow.accessToken)).status).toBe(200);
    expect((await post(browser, '/auth/logout')).status).toBe(200);
    expect(revocations.slice(before)).toEqual([
      { tokenLocation: 'form', matched: 'refresh_token', clientAuthenticated: true },
    ]);
    // Revoking the refresh token ended its access tokens too (RFC 7009 §2.1).
    expect((await serviceNowTableWith(serviceNow.accessToken)).status).toBe(401);
  });

  it('writes one audit line naming the same session as the login line, the user and each revocation', async () => {
    const { browser, sessionId } = await signedInToBoth();
    expect((await post(browser, '/auth/logout')).status).toBe(200);
    const line = auditLines('logout').find(
      (entry) => entry.session === sessionReference(sessionId),
    );
    expect(line).toMatchObject({
      outcome: 'success',
      reason: 'user_logout',
      sub: 'alice',
      providers: 'graph,servicenow',
      revocation: 'graph:not_supported,servicenow:revoked',
    });
  });

  it('without a session answers 200 with end_session_url null and expires the cookie', async () => {
    const browser = new TestBrowser();
    const revocations = harness.serviceNow?.revocationRequests.length;
    const response = await post(browser, '/auth/logout');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ end_session_url: null });
    expect(browser.cookieAttributes('127.0.0.1', sessionCookieName)).toMatch(/Max-Age=0/i);
    expect(harness.serviceNow?.revocationRequests.length).toBe(revocations);
  });

  it('two logouts of one session at once both answer 200, and its tokens are revoked once', async () => {
    const { browser } = await signedInToBoth();
    const revocations = harness.serviceNow?.revocationRequests ?? [];
    const before = revocations.length;
    const answers = await Promise.all([
      post(browser, '/auth/logout'),
      post(browser, '/auth/logout'),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as {
      end_session_url: string | null;
    }[];
    expect(bodies.filter((body) => body.end_session_url !== null)).toHaveLength(1);
    expect(revocations.length - before).toBe(1);
  });
});

describe('POST /auth/logout/{provider}', () => {
  it('servicenow: 200 {}, its tokens revoked and gone, Graph still served in the same session', async () => {
    const { browser, sessionId, serviceNow } = await signedInToBoth();
    const response = await post(browser, '/auth/logout/servicenow');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect((await serviceNowTableWith(serviceNow.accessToken)).status).toBe(401);
    expect(await sessionIdOf(browser)).toBe(sessionId);
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      user: { sub: string } | null;
      providers: Record<string, { connected: boolean }>;
    };
    expect(session.user?.sub).toBe('alice');
    expect(session.providers.servicenow?.connected).toBe(false);
    expect(session.providers.graph?.connected).toBe(true);
    const proxied = await browser.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      headers: csrf,
    });
    expect(proxied.status).toBe(401);
    expect(await proxied.json()).toMatchObject({ reason: 'not_connected' });
    const graph = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(graph.status).toBe(200);
  });

  it('graph: the user is no longer named, Graph answers not_connected, ServiceNow still served', async () => {
    const { browser, sessionId } = await signedInToBoth();
    expect((await post(browser, '/auth/logout/graph')).status).toBe(200);
    // Out of the user and provider-session indexes: a later Entra logout is not this session's.
    const digest = secretDigest(sessionId);
    for (const indexKey of await harness.redis.client.keys('bff:*-sessions:*'))
      expect(await harness.redis.client.sismember(indexKey, digest)).toBe(0);
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      authenticated: boolean;
      user: unknown;
      providers: Record<string, { connected: boolean }>;
    };
    expect(session).toMatchObject({ authenticated: true, user: null });
    expect(session.providers.graph?.connected).toBe(false);
    const graph = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(await graph.json()).toMatchObject({ reason: 'not_connected' });
    const serviceNow = await browser.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      headers: csrf,
    });
    expect(serviceNow.status).toBe(200);
  });

  it('answers 404 for an unknown provider, 403 without X-CSRF, and 200 {} without a session', async () => {
    const { browser } = await signedInToBoth();
    expect((await post(browser, '/auth/logout/github')).status).toBe(404);
    expect((await post(browser, '/auth/logout/servicenow', {})).status).toBe(403);
    const stranger = await post(new TestBrowser(), '/auth/logout/servicenow');
    expect(stranger.status).toBe(200);
    expect(await stranger.json()).toEqual({});
    const serviceNow = await browser.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      headers: csrf,
    });
    expect(serviceNow.status).toBe(200);
  });
});

// Last in the file: it moves the gateway's clock past every token's expiry.
describe('a logout while a refresh is running', () => {
  it('wins: the refreshed tokens are revoked, never stored, and the waiting request answers session_expired', async () => {
    const { browser, sessionId } = await signedInToBoth();
    const stand = harness.serviceNow;
    if (stand === null) throw new Error('the ServiceNow stand-in is not running');
    let release = (): void => undefined;
    stand.refreshScript = { heldUntil: new Promise<void>((resolve) => (release = resolve)) };
    const refreshes = () => stand.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    const refreshesBefore = refreshes().length;
    harness.clock.advance(31 * 60_000);
    const waiting = browser.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      headers: csrf,
    });
    await expect.poll(() => refreshes().length).toBe(refreshesBefore + 1);
    const revocationsBefore = stand.revocationRequests.length;
    const apiRequestsBefore = stand.apiRequests.length;
    expect((await post(browser, '/auth/logout')).status).toBe(200);
    // The refresh still holds its lock: the logout deleted that key too.
    expect(await storeStillNames(sessionId)).toBe(false);
    release();
    const answer = await waiting;
    stand.refreshScript = 'tokens';
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ reason: 'session_expired' });
    // The request was not forwarded with the orphaned token.
    expect(stand.apiRequests.length).toBe(apiRequestsBefore);
    // One revocation by the logout, one for what the late refresh produced.
    await expect.poll(() => stand.revocationRequests.length - revocationsBefore).toBe(2);
    expect(await storeStillNames(sessionId)).toBe(false);
    expect((await serviceNowTableWith(stand.latestAccessToken() ?? '')).status).toBe(401);
  });
});
