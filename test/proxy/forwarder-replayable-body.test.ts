// Bodies over 1 MiB or chunked stream on and are never held; a replayable body is read within an idle bound, and a stall or an abort forwards nothing.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  jsonOf,
  responseOf,
  send,
  uploadUntilAnswered,
  type ProxyHarness,
} from './proxy-harness.ts';
import {
  echoReceived,
  receivedWhole,
  serviceNowChallenge,
  type RecordingUpstream,
} from './recording-upstream.ts';
import {
  eventually,
  idleTimeoutMs,
  refreshAndReplayInto,
  useReplayStack,
  type RouteRecord,
} from './replay-stack.ts';
import { delay, mebibyte } from './streams.ts';

let seen: RouteRecord = { outcomes: [] };
let upstream: RecordingUpstream;
let harness: ProxyHarness;

useReplayStack(
  refreshAndReplayInto((record) => (seen = record)),
  (stack) => ({ upstream, harness } = stack),
);
beforeEach(() => {
  seen = { outcomes: [] };
});

describe('bodies that are not replayable', () => {
  it('streams 1 MiB + 1 byte intact, never held', async () => {
    const bytes = randomBytes(mebibyte + 1);
    const response = await send(harness.port, { method: 'PUT', path: '/graph/f', body: bytes });
    expect(seen.body).toBeNull();
    expect(JSON.parse(response.body.toString())).toMatchObject(receivedWhole(bytes));
    expect(upstream.requests[0]?.headers['content-length']).toBe(String(mebibyte + 1));
  });

  it('streams a chunked upload intact, never held', async () => {
    const request = httpRequest({ port: harness.port, method: 'POST', path: '/graph/f' });
    const chunks = [randomBytes(1000), randomBytes(2000)];
    for (const chunk of chunks) request.write(chunk);
    const received = await jsonOf(await responseOf(request.end()));
    expect(seen.body).toBeNull();
    expect(received).toMatchObject(receivedWhole(Buffer.concat(chunks)));
    expect(upstream.requests[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('resolves a 401 that comes mid-upload, and the connection closes after the caller answers', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(401, { 'www-authenticate': serviceNowChallenge }).end();
    });
    const totalBytes = 256 * mebibyte;
    const upload = await uploadUntilAnswered(harness.port, {
      method: 'PUT',
      path: '/graph/f',
      totalBytes,
    });
    expect(upload.sentBytes).toBeLessThan(totalBytes);
    expect(upload.response.statusCode).toBe(503);
    expect(upload.response.headers).toMatchObject({ connection: 'close', 'retry-after': '0' });
    expect(await jsonOf(upload.response)).toMatchObject({ type: 'urn:bff:retry' });
    await upload.connectionClosed;
    expect(seen.outcomes).toEqual([{ kind: 'unauthorized', challenge: serviceNowChallenge }]);
    expect(upstream.requests).toHaveLength(1);
    upstream.respondWith(echoReceived);
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(200);
  });
});

describe('reading a replayable body', () => {
  function stalledUpload(contentLength: number): ReturnType<typeof httpRequest> {
    const request = httpRequest({
      port: harness.port,
      method: 'POST',
      path: '/graph/f',
      headers: { 'content-length': String(contentLength) },
    });
    request.on('error', () => undefined);
    request.write('0123456789');
    return request;
  }

  it('answers 408 when the upload stalls for the idle bound, and forwards nothing', async () => {
    const startedAt = performance.now();
    const request = stalledUpload(100);
    const response = await responseOf(request);
    const elapsedMs = performance.now() - startedAt;
    expect(response.statusCode).toBe(408);
    expect(await jsonOf(response)).toMatchObject({ type: 'urn:bff:request-timeout' });
    expect(elapsedMs).toBeGreaterThanOrEqual(idleTimeoutMs - 20);
    expect(elapsedMs).toBeLessThan(idleTimeoutMs + 1_000);
    expect(upstream.requests).toHaveLength(0);
    request.destroy();
  });

  it('fails with 400 when the browser aborts the upload, and forwards nothing', async () => {
    const request = stalledUpload(1000);
    await delay(50);
    request.destroy();
    await eventually(() => seen.error !== undefined);
    expect(seen.error).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(upstream.requests).toHaveLength(0);
  });
});
