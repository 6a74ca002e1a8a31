// Proves the Graph stand-in answers like Microsoft Graph for the OpenID provider stand-in's tokens: streams, records and overrides, no mocks.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadPattern,
  graphUnauthorizedBody,
  graphUnauthorizedChallenge,
  startMockGraph,
  type MockGraph,
} from './mock-graph.ts';
import {
  openIdProviderClient,
  redirectUri,
  type OpenIdProviderClient,
} from './openid-provider-client.ts';
import { startOpenIdProvider, type TestOpenIdProvider } from './openid-provider.ts';
import { TestBrowser } from './test-browser.ts';

let openIdProvider: TestOpenIdProvider;
let graph: MockGraph;
let signIn: OpenIdProviderClient['signIn'];

beforeAll(async () => {
  openIdProvider = await startOpenIdProvider({ redirectUris: [redirectUri] });
  graph = await startMockGraph({ openIdProvider });
  ({ signIn } = await openIdProviderClient(openIdProvider));
});
afterAll(async () => {
  await graph.close();
  await openIdProvider.close();
});

function graphGet(path: string, accessToken?: string): Promise<Response> {
  const headers =
    accessToken === undefined ? undefined : { authorization: `Bearer ${accessToken}` };
  return fetch(`${graph.url}${path}`, { headers, redirect: 'manual' });
}

describe('the Graph stand-in answers like Microsoft Graph', () => {
  let accessToken: string;
  beforeAll(async () => {
    accessToken = (await signIn(new TestBrowser())).access_token;
  });

  it('answers /v1.0/me for the token subject', async () => {
    const response = await graphGet('/v1.0/me', accessToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      displayName: 'Alice',
      mail: 'alice@contoso.example',
      userPrincipalName: 'alice@contoso.example',
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a token it never issued', 'not-a-token'],
  ])('answers Graph’s exact 401 to %s', async (_case, token) => {
    const response = await graphGet('/v1.0/me', token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(graphUnauthorizedChallenge);
    expect(await response.text()).toBe(
      '{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}',
    );
    expect(graphUnauthorizedBody.error.code).toBe('InvalidAuthenticationToken');
  });

  it('round-trips the sha256 of a streamed 50 MB upload and records it', async () => {
    graph.reset();
    const body = randomBytes(50 * 1024 * 1024);
    const response = await fetch(`${graph.url}/v1.0/upload`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${accessToken}` },
      body,
    });
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(await response.json()).toEqual({ length: body.length, sha256 });
    expect(graph.requests).toMatchObject([
      { method: 'PUT', bodyLength: body.length, bodySha256: sha256 },
    ]);
  });

  it('streams a download of the deterministic pattern and notices a client that goes away', async () => {
    graph.reset();
    const complete = await graphGet('/v1.0/download?bytes=300000', accessToken);
    expect(complete.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await complete.arrayBuffer()).equals(downloadPattern(300_000))).toBe(true);
    const controller = new AbortController();
    const abandoned = await fetch(`${graph.url}/v1.0/download?bytes=${50 * 1024 * 1024}`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: controller.signal,
    });
    await abandoned.body?.getReader().read();
    controller.abort();
    await expect.poll(() => graph.downloads[1]?.outcome).toBe('client-went-away');
    expect(graph.downloads[0]?.outcome).toBe('completed');
    expect(graph.downloads[1]?.writtenBytes).toBeLessThan(50 * 1024 * 1024);
  });

  it('answers the pre-authenticated redirect, the echo, the cookie route and unknown paths', async () => {
    const redirect = await graphGet('/v1.0/me/drive/items/abc/content', accessToken);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(
      'https://download.example.invalid/preauth/abc?tempauth=xyz',
    );
    const echo = await fetch(`${graph.url}/v1.0/echo`, {
      headers: { authorization: `Bearer ${accessToken}`, 'x-probe': 'yes' },
    });
    expect(await echo.json()).toMatchObject({ 'x-probe': 'yes' });
    const cookie = await graphGet('/v1.0/set-cookie', accessToken);
    expect(cookie.headers.getSetCookie()).toEqual(['upstream=1; Path=/']);
    expect(cookie.headers.get('www-authenticate')).toBeTruthy();
    const unknown = await graphGet('/v1.0/nowhere', accessToken);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'ResourceNotFound' } });
  });

  it('lets a test override a route, and counts keep-alive connections', async () => {
    graph.route('GET', '/v1.0/me', (_request, response) => {
      response.writeHead(429, { 'retry-after': '2.128' }).end();
    });
    const throttled = await graphGet('/v1.0/me', accessToken);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2.128');
    graph.reset();
    const before = graph.connectionCount;
    for (let index = 0; index < 3; index += 1)
      await (await graphGet('/v1.0/me/messages', accessToken)).arrayBuffer();
    expect(graph.connectionCount - before).toBeLessThanOrEqual(1);
    expect(graph.requests.map((request) => request.url)).toEqual(
      Array(3).fill('/v1.0/me/messages'),
    );
  });

  it('waits before sending headers on /v1.0/slow', async () => {
    const started = Date.now();
    const response = await graphGet('/v1.0/slow?ms=200', accessToken);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
