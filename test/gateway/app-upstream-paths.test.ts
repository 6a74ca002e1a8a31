// APP_UPSTREAM_URL (sidecar mode): bodies stream both ways, and the gateway's own paths never reach the app server in any spelling.
import { request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { echoReceived, type RecordingUpstream } from '../proxy/recording-upstream.ts';
import { digestOf, mebibyte, randomBody } from '../proxy/streams.ts';
import { sendRawRequest, useAppUpstreamStack } from '../support/app-upstream-stack.ts';
import type { GatewayHarness } from '../support/gateway-harness.ts';

let upstream: RecordingUpstream;
let harness: GatewayHarness;
useAppUpstreamStack((stack) => {
  ({ upstream, harness } = stack);
});

describe('APP_UPSTREAM_URL: streaming', () => {
  const size = 20 * mebibyte;

  it('streams a 20 MB upload to the app server as it arrives', async () => {
    const body = randomBody(size);
    let producedAtFirstByte = -1;
    upstream.respondWith(async (request, response, recorded) => {
      const whole = recorded.body;
      request.once('data', () => (producedAtFirstByte = body.produced()));
      await whole;
      await echoReceived(request, response, recorded);
    });
    const answer = await send(`${harness.url}/upload`, body.stream);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ sha256: body.sha256(), length: size });
    expect(producedAtFirstByte).toBeGreaterThan(0);
    expect(producedAtFirstByte).toBeLessThan(size / 2);
  });

  it('streams a 20 MB download to the browser as the app server writes it', async () => {
    const body = randomBody(size);
    upstream.respondWith((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      body.stream.pipe(response);
    });
    const response = await fetch(`${harness.url}/export.bin`);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(first?.value?.length).toBeGreaterThan(0);
    expect(body.produced()).toBeLessThan(size / 2);
    reader?.releaseLock();
    const rest = await digestOf(response.body as unknown as AsyncIterable<Uint8Array>);
    expect((first?.value?.length ?? 0) + rest.length).toBe(size);
  });
});

describe('APP_UPSTREAM_URL: the gateway paths are never forwarded', () => {
  const gatewayOwned = [
    '/auth',
    '/auth/',
    '/auth/nope',
    '/auth/callback/graph/',
    '/AUTH/nope',
    '/%61uth/nope',
    '/auth%2fnope',
    '/auth%5cnope',
    '/auth?next=/x',
    '/auth;x=1/nope',
    '//auth/nope',
    '/x/../auth/nope',
    '/auth/../x',
    '/servicenow/api/now/table/incident',
    '/graph',
    '/healthz/x',
    '/readyz/x',
  ];

  it.each(gatewayOwned)('%s gets the gateway answer and reaches no app server', async (path) => {
    const exchange = await sendRawRequest(harness.url, 'GET', path);
    expect([400, 401, 403, 404]).toContain(exchange.statuses[0]);
    expect(exchange.text).toContain('application/problem+json');
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['http://127.0.0.1/auth/nope', 'http://app.example/page', '*'])(
    'the non-path request target %s is refused and reaches no app server',
    async (target) => {
      const exchange = await sendRawRequest(harness.url, 'OPTIONS', target);
      expect(exchange.statuses[0]).toBe(400);
      expect(upstream.requests).toHaveLength(0);
    },
  );

  it('POST /healthz and GET /readyz stay the gateway', async () => {
    expect((await fetch(`${harness.url}/healthz`, { method: 'POST' })).status).toBe(404);
    expect(await (await fetch(`${harness.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['/authors', '/graphql', '/healthzone', '/auth-help'])(
    '%s is an app path and is forwarded',
    async (path) => {
      const response = await fetch(`${harness.url}${path}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { url: string }).url).toBe(path);
    },
  );
});

/** A POST whose body is piped from `body` (chunked): the upload side of streaming. */
function send(url: string, body: Readable): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST' }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    body.pipe(request);
  });
}
