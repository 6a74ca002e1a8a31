// What crosses the proxy over real HTTP: the bearer and ordinary headers go up, browser credentials do not; upstream answers come back as they are, minus cookies and challenges.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { send, startProxyHarness, testAccessToken, type ProxyHarness } from './proxy-harness.ts';
import { useProxyStack } from './proxy-stack.ts';
import type { RecordingUpstream } from './recording-upstream.ts';
import { delay } from './streams.ts';

let upstream: RecordingUpstream;
let harness: ProxyHarness;
useProxyStack({}, (stack) => ({ upstream, harness } = stack));

describe('request headers', () => {
  it('injects the bearer and never forwards browser credentials, forwarding claims or hop-by-hop headers', async () => {
    const response = await send(harness.port, {
      method: 'POST',
      path: '/graph/v1.0/me/messages',
      headers: {
        authorization: 'Basic YnJvd3NlcjpzZWNyZXQ=',
        cookie: '__Host-bff=sealed-session; other=1',
        'x-csrf': '1',
        origin: 'https://app.example.com',
        forwarded: 'for=203.0.113.9;host=evil.example',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': '1234',
        'x-real-ip': '203.0.113.9',
        'proxy-authorization': 'Basic cHJveHk6cHc=',
        connection: 'keep-alive, X-Hop-Only',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-connection': 'keep-alive',
        'x-hop-only': 'meant for the gateway',
        accept: 'application/json',
        'content-type': 'application/json',
        'if-none-match': 'W/"etag-1"',
        prefer: 'outlook.timezone="UTC"',
        consistencylevel: 'eventual',
        'x-foo': 'bar',
      },
      body: '{"subject":"hello"}',
    });
    expect(response.status).toBe(200);
    const [received] = upstream.requests;
    expect(received?.headers).toEqual({
      host: `127.0.0.1:${upstream.port}`,
      authorization: `Bearer ${testAccessToken}`,
      accept: 'application/json',
      'content-type': 'application/json',
      'content-length': '19',
      'if-none-match': 'W/"etag-1"',
      prefer: 'outlook.timezone="UTC"',
      consistencylevel: 'eventual',
      'x-foo': 'bar',
      // Node's own persistence header for the pooled upstream socket (RFC 9112 §9.3), not the browser's.
      connection: 'keep-alive',
    });
    expect(received?.rawHeaders.filter((name) => /^authorization$/i.test(name))).toHaveLength(1);
  });

  it('keeps the upstream base path and the query byte-exact', async () => {
    const target =
      "/v1.0/users('a%40b.c')/messages?$filter=subject%20eq%20'x'&$select=id,subject&$top=5&odd=%2e%2e%2f&plus=a+b&empty=&flag";
    const response = await send(harness.port, { path: `/graph${target}` });
    expect(response.status).toBe(200);
    expect(upstream.requests[0]?.url).toBe(`/base${target}`);
  });

  it('sends /graph itself to the upstream base path', async () => {
    await send(harness.port, { path: '/graph/?$top=1' });
    expect(upstream.requests[0]?.url).toBe('/base/?$top=1');
  });
});

describe('responses', () => {
  it('removes Set-Cookie, WWW-Authenticate and hop-by-hop headers and keeps the others and the body', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': 'Basic realm="Service-now"',
        'set-cookie': ['JSESSIONID=abc; Path=/', 'glide_user_route=x; Path=/'],
        'x-request-id': 'req-1',
        'cache-control': 'private',
        connection: 'keep-alive, X-Upstream-Hop',
        'x-upstream-hop': 'for the gateway only',
      });
      response.end('{"error":{"message":"User Not Authenticated"}}');
    });
    const response = await send(harness.port, { path: '/graph/api/now/table/incident' });
    expect(response.status).toBe(401);
    expect(response.body.toString()).toBe('{"error":{"message":"User Not Authenticated"}}');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.headers['x-upstream-hop']).toBeUndefined();
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(response.headers['cache-control']).toBe('private');
    expect(response.headers['content-type']).toBe('application/json');
  });

  it('returns a redirect untouched and never follows it', async () => {
    const location = `${upstream.origin}/base/v1.0/elsewhere?token=keep-as-is`;
    upstream.respondWith((_request, response) => {
      response.writeHead(302, { location }).end();
    });
    const response = await send(harness.port, { path: '/graph/v1.0/me/photo/$value' });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(location);
    expect(upstream.requests).toHaveLength(1);
  });

  for (const { status, retryAfter } of [
    { status: 403, retryAfter: undefined },
    { status: 429, retryAfter: '7' },
    { status: 500, retryAfter: undefined },
    { status: 503, retryAfter: '30' },
    { status: 504, retryAfter: undefined },
  ]) {
    it(`passes a ${status} through with its body${retryAfter === undefined ? '' : ' and Retry-After'}`, async () => {
      upstream.respondWith((_request, response) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
        response.writeHead(status, headers).end(`{"status":${status}}`);
      });
      const response = await send(harness.port, { path: '/graph/v1.0/me' });
      expect(response.status).toBe(status);
      expect(response.headers['retry-after']).toBe(retryAfter);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body.toString()).toBe(`{"status":${status}}`);
    });
  }

  it('passes a 304 through with its ETag and no body', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(304, { etag: 'W/"etag-1"' }).end();
    });
    const response = await send(harness.port, {
      path: '/graph/v1.0/me',
      headers: { 'if-none-match': 'W/"etag-1"' },
    });
    expect(response.status).toBe(304);
    expect(response.headers.etag).toBe('W/"etag-1"');
    expect(response.body).toHaveLength(0);
  });

  it('refuses TRACE, which would echo the bearer into the response body, and forwards nothing', async () => {
    const response = await send(harness.port, { method: 'TRACE', path: '/graph/v1.0/me' });
    expect(response.status).toBe(405);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('the request handed back', () => {
  it('has its url and headers restored once forwarding ends (Hono reads incoming.headers)', async () => {
    let seen: unknown;
    const server = createServer((incoming, outgoing) => {
      const before = { url: incoming.url, headers: { ...incoming.headers } };
      void harness.forwarder
        .forward(incoming, outgoing, { upstreamPath: '/v1.0/me', accessToken: testAccessToken })
        .then(() => (seen = { before, after: { url: incoming.url, headers: incoming.headers } }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await send(port, { path: '/raw?x=1', headers: { cookie: 'a=b', 'x-csrf': '1' } });
    await delay(50);
    server.close();
    expect(upstream.requests[0]?.url).toBe('/base/v1.0/me');
    const { before, after } = seen as { before: unknown; after: unknown };
    expect(after).toEqual(before);
  });
});

describe('close', () => {
  it('destroys the pooled upstream connections', async () => {
    const baseline = upstream.openConnectionCount; // the shared harness's pool
    const closing = await startProxyHarness({ apiUrl: new URL(`${upstream.origin}/base`) });
    await send(closing.port, { path: '/graph/v1.0/me' });
    expect(upstream.openConnectionCount).toBe(baseline + 1);
    await closing.close();
    await delay(50);
    expect(upstream.openConnectionCount).toBe(baseline);
  });
});

describe('logs', () => {
  it('never hold the access token, a cookie value or a query', async () => {
    await send(harness.port, {
      path: '/graph/v1.0/me?$filter=mail%20eq%20%27secret-query%27',
      headers: { cookie: '__Host-bff=sealed-cookie-value', authorization: 'Bearer browser-token' },
    });
    const logs = harness.logLines.join('\n');
    expect(logs).toContain('/v1.0/me');
    for (const secret of [
      testAccessToken,
      'sealed-cookie-value',
      'browser-token',
      'secret-query',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
