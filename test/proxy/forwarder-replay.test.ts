// An upstream 401 handed back instead of relayed, so the caller can refresh and replay a body held in memory (≤ 1 MiB) byte for byte; larger or chunked bodies still stream.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError, reauthRequired } from '../../src/errors/gateway-error.ts';
import type { ForwardOutcome, ForwardRequest } from '../../src/proxy/forwarder.ts';
import { readReplayableBody, type ReplayableBody } from '../../src/proxy/replayable-body.ts';
import {
  jsonOf,
  responseOf,
  send,
  startProxyHarness,
  uploadUntilAnswered,
  type ProxyHarness,
  type ProxyRoute,
} from './proxy-harness.ts';
import {
  echoReceived,
  receivedWhole,
  serviceNowChallenge,
  startRecordingUpstream,
  unauthorizedFirst,
  type RecordingUpstream,
} from './recording-upstream.ts';
import { delay, mebibyte } from './streams.ts';

const tokenBeforeRefresh = 'token-before-refresh';
const tokenAfterRefresh = 'token-after-refresh';
const idleTimeoutMs = 300;

/** What the route saw of the last request: the body decision, each forward's outcome, its error. */
interface RouteRecord {
  body?: ReplayableBody | null;
  readonly outcomes: ForwardOutcome[];
  error?: unknown;
}
let seen: RouteRecord = { outcomes: [] };

/** The caller's flow (contract §4): read the body if replayable, intercept, "refresh", replay once. */
const refreshAndReplay: ProxyRoute = async ({ incoming, outgoing, upstreamPath, forwarder }) => {
  const record: RouteRecord = (seen = { outcomes: [] });
  try {
    const body = (record.body = await readReplayableBody(incoming, { idleTimeoutMs }));
    const forward = async (accessToken: string): Promise<ForwardOutcome> => {
      const outcome = await forwarder.forward(incoming, outgoing, {
        upstreamPath,
        accessToken,
        ...(body === null ? {} : { body }),
        interceptUnauthorized: true,
      });
      record.outcomes.push(outcome);
      return outcome;
    };
    if ((await forward(tokenBeforeRefresh)).kind === 'relayed') return undefined;
    if (body === null) {
      throw new GatewayError(503, 'retry', 'send the request again', { retryAfterSeconds: 0 });
    }
    if ((await forward(tokenAfterRefresh)).kind === 'relayed') return undefined;
    throw reauthRequired('graph', 'upstream_rejected', 'graph refused a freshly renewed token');
  } catch (error) {
    record.error = error;
    throw error;
  }
};

/** A route that forwards once, intercepting, and answers the outcome itself as JSON (status 409). */
const answerTheOutcome: ProxyRoute = async (request) => {
  const { context, incoming, outgoing, upstreamPath, forwarder } = request;
  const forwardRequest: ForwardRequest = {
    upstreamPath,
    accessToken: tokenBeforeRefresh,
    interceptUnauthorized: true,
  };
  const outcome = await forwarder.forward(incoming, outgoing, forwardRequest);
  return context.json({ outcome, headersSent: outgoing.headersSent }, 409, { 'x-own': '1' });
};

let route: ProxyRoute = refreshAndReplay;
let upstream: RecordingUpstream;
let harness: ProxyHarness;

async function startStack(): Promise<{ upstream: RecordingUpstream; harness: ProxyHarness }> {
  const started = await startRecordingUpstream();
  const apiUrl = new URL(`${started.origin}/base`);
  return {
    upstream: started,
    harness: await startProxyHarness({ apiUrl, route: (r) => route(r) }),
  };
}

beforeAll(async () => ({ upstream, harness } = await startStack()));
afterAll(async () => {
  await harness.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.reset();
  route = refreshAndReplay;
  seen = { outcomes: [] };
});

async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 2_000; waited += 10) await delay(10);
}

describe('an intercepted 401', () => {
  it('resolves unauthorized with the challenge and writes nothing, so the caller answers intact', async () => {
    upstream.respondWith(unauthorizedFirst(1));
    route = answerTheOutcome;
    const response = await send(harness.port, { path: '/graph/now/table/incident' });
    expect([response.status, response.headers['x-own']]).toEqual([409, '1']);
    expect(JSON.parse(response.body.toString())).toEqual({
      outcome: { kind: 'unauthorized', challenge: serviceNowChallenge },
      headersSent: false,
    });
    for (const name of ['www-authenticate', 'set-cookie', 'x-upstream-only']) {
      expect(response.headers[name]).toBeUndefined();
    }
  });

  it('hands back several challenges as one list', async () => {
    upstream.respondWith((_request, response) => {
      response.setHeader('www-authenticate', ['Bearer error="invalid_token"', 'Basic realm="x"']);
      response.writeHead(401).end();
    });
    route = answerTheOutcome;
    const response = await send(harness.port, { path: '/graph/v1.0/me' });
    expect(JSON.parse(response.body.toString())).toMatchObject({
      outcome: { kind: 'unauthorized', challenge: 'Bearer error="invalid_token", Basic realm="x"' },
    });
  });

  it.each([
    ['a JSON body', Buffer.from('{"short_description":"printer on fire","urgency":"1"}')],
    ['a binary body of exactly 1 MiB', randomBytes(mebibyte)],
  ])(
    'replays %s byte for byte with its Content-Length and the new bearer',
    async (_name, bytes) => {
      upstream.respondWith(unauthorizedFirst(1));
      const response = await send(harness.port, {
        method: 'POST',
        path: '/graph/now/table/incident?sysparm_display_value=true',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(response.status).toBe(200);
      expect(seen.outcomes.map((outcome) => outcome.kind)).toEqual(['unauthorized', 'relayed']);
      expect(seen.body?.kind).toBe('buffered');
      expect(upstream.requests).toHaveLength(2);
      for (const [index, token] of [tokenBeforeRefresh, tokenAfterRefresh].entries()) {
        const received = upstream.requests[index];
        expect(received).toMatchObject({
          method: 'POST',
          url: '/base/now/table/incident?sysparm_display_value=true',
          headers: { authorization: `Bearer ${token}`, 'content-length': String(bytes.length) },
        });
        expect(await received?.body).toEqual(receivedWhole(bytes));
      }
    },
  );

  it('replays a request without a body', async () => {
    upstream.respondWith(unauthorizedFirst(1));
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(200);
    expect(seen.body).toEqual({ kind: 'none' });
    expect(upstream.requests.map((request) => request.headers.authorization)).toEqual([
      `Bearer ${tokenBeforeRefresh}`,
      `Bearer ${tokenAfterRefresh}`,
    ]);
    expect(await upstream.requests[1]?.body).toEqual(receivedWhole(Buffer.alloc(0)));
  });

  it('is intercepted again on the replay, so the caller answers its own reauth, never Basic', async () => {
    upstream.respondWith(unauthorizedFirst(2));
    const response = await send(harness.port, { method: 'DELETE', path: '/graph/v1.0/me/x' });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body.toString())).toMatchObject({ reason: 'upstream_rejected' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="bff"');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(seen.outcomes.map((outcome) => outcome.kind)).toEqual(['unauthorized', 'unauthorized']);
  });

  it('returns its keep-alive connection to the pool before the replay asks for one', async () => {
    const own = await startStack();
    try {
      own.upstream.respondWith(unauthorizedFirst(1));
      const body = '{"subject":"hello"}';
      const response = await send(own.harness.port, { method: 'POST', path: '/graph/x', body });
      expect(response.status).toBe(200);
      expect((await send(own.harness.port, { path: '/graph/y' })).status).toBe(200);
      expect(own.upstream.requests).toHaveLength(3);
      expect(own.upstream.connectionCount).toBe(1);
    } finally {
      await own.harness.close();
      await own.upstream.close();
    }
  });

  it('replays after a 401 sent before the body was read, on a connection the upstream then closes', async () => {
    upstream.respondWith((request, response, recorded) => {
      if (upstream.requests.indexOf(recorded) > 0) return echoReceived(request, response, recorded);
      response.writeHead(401, { 'www-authenticate': serviceNowChallenge, connection: 'close' });
      response.end(() => request.socket.destroy());
    });
    const bytes = randomBytes(mebibyte);
    const response = await send(harness.port, { method: 'PUT', path: '/graph/f', body: bytes });
    expect(JSON.parse(response.body.toString())).toMatchObject({
      sha256: receivedWhole(bytes).sha256,
    });
    expect(seen.outcomes.map((outcome) => outcome.kind)).toEqual(['unauthorized', 'relayed']);
  });

  it('resolves relayed when the 401 breaks off mid-body, as httpxy then closes the browser connection', async () => {
    upstream.respondWith((request, response) => {
      response.writeHead(401, { 'www-authenticate': serviceNowChallenge, 'content-length': '100' });
      response.write('{"error":', () => request.socket.destroy());
    });
    await expect(send(harness.port, { path: '/graph/v1.0/me' })).rejects.toThrow();
    await eventually(() => seen.outcomes.length > 0);
    expect(seen.outcomes).toEqual([{ kind: 'relayed' }]);
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses a second send without the body it was read into', async () => {
    upstream.respondWith(unauthorizedFirst(1));
    route = async ({ incoming, outgoing, upstreamPath, forwarder }) => {
      const request = {
        upstreamPath,
        accessToken: tokenBeforeRefresh,
        interceptUnauthorized: true,
      };
      await forwarder.forward(incoming, outgoing, request);
      await forwarder.forward(incoming, outgoing, request);
      return undefined;
    };
    expect((await send(harness.port, { path: '/graph/v1.0/me' })).status).toBe(500);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('answers other than 401, intercepting', () => {
  it.each([
    [200, {}, '{"value":[]}'],
    [403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }, 'forbidden'],
    [429, { 'retry-after': '7' }, 'slow down'],
    [500, {}, 'upstream broke'],
  ])('relays %i untouched', async (status, headers: Record<string, string>, body) => {
    upstream.respondWith(
      (_request, response) => void response.writeHead(status, headers).end(body),
    );
    const response = await send(harness.port, { path: '/graph/v1.0/me' });
    expect([response.status, response.body.toString()]).toEqual([status, body]);
    expect(response.headers['retry-after']).toBe(headers['retry-after']);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(seen.outcomes).toEqual([{ kind: 'relayed' }]);
    expect(upstream.requests).toHaveLength(1);
  });
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
