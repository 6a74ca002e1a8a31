// An upstream 401 to a token the gateway believed valid (contract §4): one refresh, one replay, never a loop; other statuses pass through.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { graphUnauthorizedBody, graphUnauthorizedChallenge } from '../support/mock-graph.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => {
  harness = started;
});

const csrf = { 'x-csrf': '1' };
let browser: TestBrowser;
beforeEach(async () => {
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  harness.graph.reset();
});

const refreshGrants = (): number =>
  harness.openIdProvider.tokenRequests.filter((request) => request.grantType === 'refresh_token')
    .length;
const bearer = (request: IncomingMessage): string =>
  request.headers.authorization?.slice('Bearer '.length) ?? '';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function answerGraph401(response: ServerResponse): void {
  response.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': graphUnauthorizedChallenge,
  });
  response.end(JSON.stringify(graphUnauthorizedBody));
}

/** Graph as it behaves once a token was revoked: 401 to every token in `refused`, 200 to others. */
function refuseTokens(method: string, path: string, refused: Set<string>, status = 200): void {
  harness.graph.route(method, path, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const token = bearer(request);
      if (refused.has(token)) return answerGraph401(response);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ received: sha256(Buffer.concat(chunks)) }));
    });
  });
}

async function storedAccessToken(): Promise<string | undefined> {
  const snapshot = await harness.gateway.dependencies.sessions.loadSnapshot(
    await sessionIdOf(browser),
  );
  return snapshot?.providers.get('graph')?.accessToken;
}

describe('an upstream 401 to a token the gateway believed valid', () => {
  it('refreshes once and replays once, and the browser sees only the 200', async () => {
    const revoked = new Set([(await storedAccessToken()) ?? '']);
    refuseTokens('GET', '/v1.0/me', revoked);
    const grantsBefore = refreshGrants();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(refreshGrants()).toBe(grantsBefore + 1);
    expect(harness.graph.requests).toHaveLength(2);
    const replayed = harness.graph.requests[1]?.headers.authorization;
    expect(replayed).toBe(`Bearer ${(await storedAccessToken()) ?? ''}`);
    expect(revoked.has(replayed?.slice('Bearer '.length) ?? '')).toBe(false);
  });

  it('replays a POST body intact (a 512 KiB JSON document)', async () => {
    const revoked = new Set([(await storedAccessToken()) ?? '']);
    refuseTokens('POST', '/v1.0/me/messages', revoked, 201);
    const body = Buffer.from(
      JSON.stringify({ subject: 'hello', body: randomBytes(256 * 1024).toString('hex') }),
    );
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me/messages`, {
      method: 'POST',
      headers: { ...csrf, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ received: sha256(body) });
    expect(harness.graph.requests.map((request) => request.bodySha256)).toEqual([
      createHash('sha256').update(body).digest('hex'),
      createHash('sha256').update(body).digest('hex'),
    ]);
    expect(harness.graph.requests.map((request) => request.bodyLength)).toEqual([
      body.length,
      body.length,
    ]);
  });

  it('answers reauth upstream_rejected when the replay is refused too, keeping the refreshed tokens', async () => {
    harness.graph.route('GET', '/v1.0/me', (_request, response) => answerGraph401(response));
    const grantsBefore = refreshGrants();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bff"');
    expect(await response.json()).toEqual({
      type: 'urn:bff:reauth-required',
      title: 'Re-authentication required',
      status: 401,
      detail: expect.any(String) as string,
      provider: 'graph',
      reason: 'upstream_rejected',
      login_url: '/auth/login/graph',
    });
    expect(harness.graph.requests).toHaveLength(2); // never a loop
    expect(refreshGrants()).toBe(grantsBefore + 1);
    const stored = await storedAccessToken();
    expect(stored).toBeDefined(); // the refresh itself succeeded: tokens kept
    expect(harness.graph.requests[1]?.headers.authorization).toBe(`Bearer ${stored ?? ''}`);
  });

  it('refreshes once for 30 concurrent requests refused with the same token', async () => {
    const revoked = new Set([(await storedAccessToken()) ?? '']);
    refuseTokens('GET', '/v1.0/me', revoked);
    const grantsBefore = refreshGrants();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(30).fill(200));
    expect(refreshGrants()).toBe(grantsBefore + 1);
  });

  it('refreshes but does not replay a streamed body over 1 MiB: 503 retry with Retry-After: 0', async () => {
    const revoked = new Set([(await storedAccessToken()) ?? '']);
    refuseTokens('PUT', '/v1.0/me/drive/root:/big.bin:/content', revoked, 201);
    const grantsBefore = refreshGrants();
    const response = await browser.fetch(
      `${harness.url}/graph/v1.0/me/drive/root:/big.bin:/content`,
      { method: 'PUT', headers: csrf, body: randomBytes(1024 * 1024 + 1) },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('0');
    expect(((await response.json()) as { type: string }).type).toBe('urn:bff:retry');
    expect(refreshGrants()).toBe(grantsBefore + 1);
    // The app resends it, and the renewed token is accepted.
    const resent = await browser.fetch(
      `${harness.url}/graph/v1.0/me/drive/root:/big.bin:/content`,
      { method: 'PUT', headers: csrf, body: randomBytes(1024 * 1024 + 1) },
    );
    expect(resent.status).toBe(201);
  });

  it('cuts a 401 whose body never ends after UPSTREAM_TIMEOUT_S, then replays', async () => {
    let calls = 0;
    let endlessBodyCut = false;
    harness.graph.route('GET', '/v1.0/me', (_request, response) => {
      calls += 1;
      if (calls === 1) {
        response.once('close', () => (endlessBodyCut = true));
        response.writeHead(401, { 'www-authenticate': graphUnauthorizedChallenge });
        response.write('{"error":'); // …and nothing more, ever
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"replayed"}');
    });
    const started = performance.now();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'replayed' });
    expect(performance.now() - started).toBeLessThan(4_000); // UPSTREAM_TIMEOUT_S is 2 s here
    await vi.waitFor(() => expect(endlessBodyCut).toBe(true)); // its upstream socket is not held
  });

  it.each([
    [403, {}],
    [429, { 'retry-after': '2.128' }],
    [500, {}],
    [503, { 'retry-after': '30' }],
  ])('passes an upstream %i through untouched, without any refresh', async (status, headers) => {
    harness.graph.route('GET', '/v1.0/me', (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify({ error: { code: `status${status}` } }));
    });
    const grantsBefore = refreshGrants();
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: { code: `status${status}` } });
    if ('retry-after' in headers) {
      expect(response.headers.get('retry-after')).toBe(headers['retry-after']);
    }
    expect(refreshGrants()).toBe(grantsBefore);
    expect(harness.graph.requests).toHaveLength(1);
  });
});
