// Bodies stream both ways without buffering, aborts on either side free the other, and upstream connections are reused.
import { once } from 'node:events';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  jsonOf,
  responseOf,
  send,
  sendRaw,
  testAccessToken,
  type ProxyHarness,
} from './proxy-harness.ts';
import { useProxyStack } from './proxy-stack.ts';
import type { RecordingUpstream } from './recording-upstream.ts';
import { delay, digestOf, mebibyte, randomBody } from './streams.ts';

let upstream: RecordingUpstream;
let harness: ProxyHarness;
useProxyStack({}, (stack) => ({ upstream, harness } = stack));

function openRequest(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): ClientRequest {
  const request = httpRequest({
    host: '127.0.0.1',
    port: harness.port,
    agent: false,
    method,
    path,
    headers,
  });
  request.on('error', () => undefined);
  return request;
}

describe('uploads', () => {
  it('streams a 50 MB chunked upload to the upstream intact', async () => {
    const body = randomBody(50 * mebibyte);
    const request = openRequest('POST', '/graph/v1.0/upload', {
      'content-type': 'application/octet-stream',
    });
    body.stream.pipe(request);
    const received = await jsonOf(await responseOf(request));
    expect(received).toEqual({
      url: '/base/v1.0/upload',
      sha256: body.sha256(),
      length: 50 * mebibyte,
      complete: true,
    });
    expect(upstream.requests[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('streams a 50 MB upload sent with Expect: 100-continue, bearer included', async () => {
    const body = randomBody(50 * mebibyte);
    const request = openRequest('PUT', '/graph/v1.0/me/drive/root:/big.bin:/content', {
      'content-length': String(50 * mebibyte),
      expect: '100-continue',
    });
    request.flushHeaders();
    await once(request, 'continue');
    body.stream.pipe(request);
    const received = await jsonOf(await responseOf(request));
    expect(received).toMatchObject({
      sha256: body.sha256(),
      length: 50 * mebibyte,
      complete: true,
    });
    const headers = upstream.requests[0]?.headers;
    expect(headers?.authorization).toBe(`Bearer ${testAccessToken}`);
    expect(headers?.expect).toBeUndefined();
    expect(headers?.['content-length']).toBe(String(50 * mebibyte));
  });

  it('stalls the browser upload while the upstream does not read, instead of buffering it', async () => {
    let release = (): void => undefined;
    upstream.respondWith(async (_request, response, recorded) => {
      await new Promise<void>((resolve) => (release = resolve));
      const received = await recorded.body;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    });
    const body = randomBody(256 * mebibyte);
    const request = openRequest('POST', '/graph/v1.0/upload');
    body.stream.pipe(request);
    await delay(1_000);
    // Socket buffers on both loopback legs hold a few MiB; a buffering proxy would have taken all 256.
    expect(body.produced()).toBeLessThan(48 * mebibyte);
    release();
    const received = await jsonOf(await responseOf(request));
    expect(received).toMatchObject({ sha256: body.sha256(), length: 256 * mebibyte });
  });

  it('destroys the upstream request when the browser aborts mid-upload, and keeps answering', async () => {
    const request = openRequest('POST', '/graph/v1.0/upload', {
      'content-length': String(64 * mebibyte),
    });
    const recorded = await Promise.race([
      upstream.nextRequest(),
      (async () => {
        for (let sent = 0; sent < 64; sent += 1) {
          if (!request.write(Buffer.alloc(mebibyte))) await once(request, 'drain');
        }
        return undefined;
      })(),
    ]);
    if (recorded === undefined) throw new Error('the upload never reached the upstream');
    request.destroy();
    expect(await recorded.body).toMatchObject({ complete: false });
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(200);
  });
});

describe('downloads', () => {
  it('streams a 50 MB download intact', async () => {
    const body = randomBody(50 * mebibyte);
    upstream.respondWith((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(50 * mebibyte),
      });
      body.stream.pipe(response);
    });
    const response = await responseOf(
      openRequest('GET', '/graph/v1.0/me/drive/items/1/content').end(),
    );
    expect(response.headers['content-length']).toBe(String(50 * mebibyte));
    expect(await digestOf(response)).toEqual({ sha256: body.sha256(), length: 50 * mebibyte });
  });

  it('stalls the upstream while the browser does not read, instead of buffering the download', async () => {
    const body = randomBody(256 * mebibyte);
    upstream.respondWith((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      body.stream.pipe(response);
    });
    const response = await responseOf(openRequest('GET', '/graph/v1.0/big').end());
    response.pause();
    await delay(1_000);
    expect(body.produced()).toBeLessThan(48 * mebibyte);
    expect(await digestOf(response)).toEqual({ sha256: body.sha256(), length: 256 * mebibyte });
  });

  it('closes the upstream response when the browser aborts mid-download, and keeps answering', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      randomBody(256 * mebibyte).stream.pipe(response);
    });
    const request = openRequest('GET', '/graph/v1.0/big').end();
    const recorded = await upstream.nextRequest();
    const response = await responseOf(request);
    let received = 0;
    for await (const chunk of response) {
      received += (chunk as Buffer).length;
      if (received >= mebibyte) break; // leaving the loop destroys the response and its socket
    }
    expect(await recorded.responseClosedEarly).toBe(true);
    upstream.respondWith((_request, response) => void response.end('ok'));
    const next = await send(harness.port, { path: '/graph/v1.0/me' });
    expect([next.status, next.body.toString()]).toEqual([200, 'ok']);
  });
});

describe('a browser that leaves before the answer', () => {
  it('closes the upstream request it was waiting on', async () => {
    upstream.respondWith(async (_request, response) => {
      await delay(1_000);
      response.end('nobody is listening');
    });
    const request = openRequest('GET', '/graph/v1.0/me').end();
    const recorded = await upstream.nextRequest();
    request.destroy();
    expect(await recorded.responseClosedEarly).toBe(true);
  });
});

describe('connections', () => {
  it('reuses pooled upstream connections for sequential requests', async () => {
    for (let index = 0; index < 20; index += 1) {
      expect((await send(harness.port, { path: `/graph/v1.0/me?n=${index}` })).status).toBe(200);
    }
    expect(upstream.requests).toHaveLength(20);
    expect(upstream.connectionCount).toBeLessThanOrEqual(2);
  });

  it('keeps a chunked body chunked and closes that upstream connection (request smuggling)', async () => {
    const hidden = `GET /secret HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const status = await sendRaw(
      harness.port,
      `DELETE /graph/v1.0/items/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n` +
        `Connection: close, Transfer-Encoding\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
    );
    expect(status).toBe('HTTP/1.1 200 OK');
    await delay(100);
    expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'DELETE /base/v1.0/items/1',
    ]);
    expect(upstream.requests[0]?.headers).toMatchObject({
      'transfer-encoding': 'chunked',
      connection: 'close',
    });
    expect(await upstream.requests[0]?.body).toMatchObject({
      length: hidden.length,
      complete: true,
    });
  });

  it('never pools the connection of a chunked request, even when the upstream answers keep-alive', async () => {
    // A lenient upstream (or its load balancer) claims keep-alive to the `Connection: close` it got.
    let chunkedConnection: Socket | undefined;
    upstream.respondWith(async (request, response, recorded) => {
      chunkedConnection = request.socket;
      await recorded.body;
      response.writeHead(200, { connection: 'keep-alive', 'content-length': '2' }).end('ok');
    });
    const request = openRequest('POST', '/graph/v1.0/upload');
    // Two writes: Node frames a body it does not know the length of as chunked.
    request.write('chunked ');
    request.end('body');
    expect((await responseOf(request)).statusCode).toBe(200);
    expect(upstream.requests[0]?.headers['transfer-encoding']).toBe('chunked');
    await delay(200);
    // The gateway hung up that connection instead of handing it to the next request.
    expect(chunkedConnection?.closed).toBe(true);
    upstream.reset();
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(200);
  });

  it('keeps Content-Length even when Connection names it (request smuggling)', async () => {
    const status = await sendRaw(
      harness.port,
      `GET /graph/v1.0/me HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close, Content-Length\r\n\r\nhello`,
    );
    expect(status).toBe('HTTP/1.1 200 OK');
    expect(upstream.requests[0]?.headers['content-length']).toBe('5');
    expect(await upstream.requests[0]?.body).toMatchObject({ length: 5, complete: true });
  });
});
