// Failures become problems while nothing was sent (502 unreachable, 504 timeout), a hang-up once it was; the header limit never cuts a streaming body; hostile paths never reach the upstream.
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { hostileTargets } from './path-corpus.ts';
import {
  jsonOf,
  responseOf,
  send,
  sendRaw,
  startProxyHarness,
  testAccessToken,
  type ProxyHarness,
} from './proxy-harness.ts';
import { useProxyStack } from './proxy-stack.ts';
import type { RecordingUpstream } from './recording-upstream.ts';
import { delay } from './streams.ts';
import { closedOrigin } from '../support/loopback-server.ts';

let upstream: RecordingUpstream;
let harness: ProxyHarness;
useProxyStack({ upstreamTimeoutMs: 300 }, (stack) => ({ upstream, harness } = stack));

function problemOf(body: Buffer): Record<string, unknown> {
  return JSON.parse(body.toString()) as Record<string, unknown>;
}

function warnings(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.level === 'warn');
}

describe('an upstream that cannot answer', () => {
  it('is a 502 upstream-unreachable problem when nothing listens, logged without the query or token', async () => {
    const unreachable = await startProxyHarness({
      apiUrl: new URL(`${closedOrigin}/base`),
    });
    try {
      const response = await send(unreachable.port, {
        path: '/graph/v1.0/me?$filter=secret-query',
      });
      expect(response.status).toBe(502);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(problemOf(response.body)).toMatchObject({
        type: 'urn:bff:upstream-unreachable',
        status: 502,
      });
      expect(warnings(unreachable.logLines)).toEqual([
        expect.objectContaining({
          method: 'GET',
          upstreamPath: '/v1.0/me',
          status: 502,
          errorCode: 'ECONNREFUSED',
        }),
      ]);
      expect(unreachable.logLines.join('\n')).not.toMatch(/secret-query|test-token/);
    } finally {
      await unreachable.close();
    }
  });

  it('is a 502 when the upstream hangs up before answering', async () => {
    upstream.respondWith((request) => void request.socket.destroy());
    const response = await send(harness.port, { path: '/graph/v1.0/me' });
    expect(response.status).toBe(502);
    expect(problemOf(response.body)).toMatchObject({ type: 'urn:bff:upstream-unreachable' });
  });

  it('is a 502 when the upstream does not speak HTTP', async () => {
    const garbage = createServer((socket) => socket.end('this is not http\r\n\r\n'));
    garbage.listen(0, '127.0.0.1');
    await once(garbage, 'listening');
    const address = garbage.address() as { port: number };
    const broken = await startProxyHarness({ apiUrl: new URL(`http://127.0.0.1:${address.port}`) });
    try {
      const response = await send(broken.port, { path: '/graph/v1.0/me' });
      expect(response.status).toBe(502);
    } finally {
      await broken.close();
      garbage.close();
    }
  });

  it('is a 504 upstream-timeout problem when headers do not come within the limit, and the upstream request is closed', async () => {
    upstream.respondWith(async (_request, response) => {
      await delay(2_000);
      response.end('too late');
    });
    const started = performance.now();
    const response = await send(harness.port, { path: '/graph/v1.0/me' });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(response.status).toBe(504);
    expect(problemOf(response.body)).toMatchObject({
      type: 'urn:bff:upstream-timeout',
      status: 504,
    });
    expect(await upstream.requests[0]?.responseClosedEarly).toBe(true);
  });

  it('hangs up on the browser when the upstream fails after its headers were sent, and keeps answering', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('x'.repeat(100), () => response.socket?.destroy());
    });
    await expect(send(harness.port, { path: '/graph/v1.0/me' })).rejects.toThrow(
      /aborted|socket hang up|ECONNRESET/,
    );
    upstream.respondWith((_request, response) => void response.end('ok'));
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(200);
    expect(harness.logLines.join('\n')).not.toContain(testAccessToken);
  });
});

describe('the 300 ms header limit', () => {
  it('never cuts a body that streams past it, even with pauses longer than the limit', async () => {
    upstream.respondWith(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      for (const part of ['one ', 'two ', 'three']) {
        response.write(part);
        await delay(450);
      }
      response.end();
    });
    const response = await send(harness.port, { path: '/graph/v1.0/slow' });
    expect([response.status, response.body.toString()]).toEqual([200, 'one two three']);
  });

  it('does not cut an upload that takes longer than the limit while it keeps arriving', async () => {
    const request = httpRequest({
      host: '127.0.0.1',
      port: harness.port,
      agent: false,
      method: 'POST',
      path: '/graph/v1.0/upload',
    });
    const responsePromise = responseOf(request);
    for (let part = 0; part < 8; part += 1) {
      request.write(Buffer.alloc(1024, part));
      await delay(100);
    }
    request.end();
    const response = await responsePromise;
    expect(response.statusCode).toBe(200);
    expect(await jsonOf(response)).toMatchObject({ length: 8 * 1024, complete: true });
  });
});

describe('hostile paths over real HTTP', () => {
  const sentAsIs = hostileTargets
    .map(({ target }) => target)
    .filter((target) => target.startsWith('/graph') && /^[\u0021-\u007e]+$/.test(target));

  it('sends enough of the corpus unnormalised', () => {
    expect(sentAsIs.length).toBeGreaterThanOrEqual(25);
  });

  for (const target of sentAsIs) {
    it(`never forwards ${target}`, async () => {
      const response = await send(harness.port, { path: target });
      expect([400, 404]).toContain(response.status);
      expect(upstream.requests).toHaveLength(0);
    });
  }

  for (const target of ['/graph/v1.0\\..\\admin', '/graph/.. /admin', '/graph/v1.0/me%00.json']) {
    it(`never forwards the raw target ${JSON.stringify(target)}`, async () => {
      const status = await sendRaw(
        harness.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(status).toMatch(/^HTTP\/1\.1 40[04] /);
      expect(upstream.requests).toHaveLength(0);
    });
  }
});
