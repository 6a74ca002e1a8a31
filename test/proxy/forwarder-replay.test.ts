// An upstream 401 handed back instead of relayed, so the caller can refresh and replay a body held in memory (≤ 1 MiB) byte for byte; other answers relay untouched.
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ForwardRequest } from '../../src/proxy/forwarder.ts';
import { send, type ProxyHarness, type ProxyRoute } from './proxy-harness.ts';
import type { ProxyStack } from './proxy-stack.ts';
import {
  echoReceived,
  receivedWhole,
  serviceNowChallenge,
  unauthorizedFirst,
  type RecordingUpstream,
} from './recording-upstream.ts';
import {
  eventually,
  refreshAndReplayInto,
  startReplayStack,
  tokenAfterRefresh,
  tokenBeforeRefresh,
  useReplayStack,
  type RouteRecord,
} from './replay-stack.ts';
import { mebibyte } from './streams.ts';

let seen: RouteRecord = { outcomes: [] };
const refreshAndReplay = refreshAndReplayInto((record) => (seen = record));

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

/** The current test's route: refresh and replay, unless the test swaps it. */
let route: ProxyRoute = refreshAndReplay;
const currentRoute: ProxyRoute = (request) => route(request);
const startStack = (): Promise<ProxyStack> => startReplayStack(currentRoute);

let upstream: RecordingUpstream;
let harness: ProxyHarness;
useReplayStack(currentRoute, (stack) => ({ upstream, harness } = stack));
beforeEach(() => {
  route = refreshAndReplay;
  seen = { outcomes: [] };
});

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
