// Browser hardening (contract §3–§4): security headers on every answer the gateway writes itself, and no CORS grant to another origin.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  useGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ GRAPH_ROUTES: '* /v1.0/**' }, (started) => (harness = started));

/** A browser signed in to Graph before the tables run, and its cookie for raw requests. */
let signedIn: TestBrowser;
let sessionCookieHeader: string;
beforeAll(async () => {
  signedIn = new TestBrowser();
  expect((await harness.login(signedIn)).status).toBe(302);
  const sealed = signedIn.cookie('127.0.0.1', sessionCookieName) ?? '';
  sessionCookieHeader = `${sessionCookieName}=${sealed}`;
});
beforeEach(() => harness.graph.reset());

const csrf = { 'x-csrf': '1' };
const evilOrigin = 'https://evil.example';
const at = (path: string): string => `${harness.url}${path}`;

/** Every `Access-Control-*` header of an answer: a CORS grant, which the gateway never gives. */
function corsHeaders(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => name.startsWith('access-control-'));
}

/** A raw request, for the methods `fetch` refuses to send (TRACE). */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(at(path), { method, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const status = answer.statusCode ?? 0;
        resolve(
          new Response(Buffer.concat(chunks), { status, headers: toHeaders(answer.headers) }),
        );
      });
    });
    request.on('error', reject);
    request.end();
  });
}

function toHeaders(received: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(received)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
  }
  return headers;
}

/** What each kind of answer carries besides `X-Content-Type-Options: nosniff`. */
const expectedHeaders = {
  auth: {
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
  },
  problem: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  other: {},
} as const;
type AnswerKind = 'auth' | 'auth problem' | 'problem' | 'other';

function expectedFor(kind: AnswerKind): Record<string, string> {
  if (kind === 'auth problem') return { ...expectedHeaders.auth, ...expectedHeaders.problem };
  return expectedHeaders[kind];
}

/** The signed-in browser sends `request` ("METHOD /path") with X-CSRF: 1, not following redirects. */
function sendSignedIn(request: string): Promise<Response> {
  const [method = 'GET', path = '/'] = request.split(' ');
  return signedIn.fetch(at(path), { method, headers: csrf });
}

/** Mock Graph hangs up before answering: 502 upstream-unreachable. */
function upstreamHangsUp(): Promise<Response> {
  harness.graph.route('GET', '/v1.0/hang-up', (request) => request.socket.destroy());
  return sendSignedIn('GET /graph/v1.0/hang-up');
}

/** Mock Graph refuses every bearer a streamed body (over 1 MiB) comes with: one refresh, no replay, 503 retry. */
function streamedUploadRefused(): Promise<Response> {
  harness.graph.route('PUT', '/v1.0/big.bin', (request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"error":{"code":"InvalidAuthenticationToken"}}');
    });
  });
  const body = Buffer.alloc(1024 * 1024 + 1);
  return signedIn.fetch(at('/graph/v1.0/big.bin'), { method: 'PUT', headers: csrf, body });
}

type Row = [request: string, status: number, kind: AnswerKind, send?: () => Promise<Response>];

describe('security headers on every answer the gateway writes itself', () => {
  it.each<Row>([
    ['GET /auth/login/graph', 302, 'auth'],
    ['GET /auth/callback/graph', 302, 'auth', () => harness.login(new TestBrowser())],
    ['GET /auth/session', 200, 'auth'],
    ['GET /auth/login/graph?mode=window', 400, 'auth problem'],
    ['GET /auth/login/github', 404, 'auth problem'],
    ['GET /auth/callback/graph?code=x', 400, 'auth problem'],
    ['GET /auth/no-such-endpoint', 404, 'auth problem'],
    ['POST /auth/session', 404, 'auth problem'],
    [
      'POST /auth/logout without a session',
      200,
      'auth',
      () => fetch(at('/auth/logout'), { method: 'POST', headers: csrf }),
    ],
    [
      'POST /auth/logout without X-CSRF',
      403,
      'auth problem',
      () => fetch(at('/auth/logout'), { method: 'POST' }),
    ],
    [
      'GET /graph/v1.0/me without X-CSRF',
      403,
      'problem',
      () => signedIn.fetch(at('/graph/v1.0/me')),
    ],
    [
      'GET /graph/v1.0/me without a session',
      401,
      'problem',
      () => fetch(at('/graph/v1.0/me'), { headers: csrf }),
    ],
    // Outside GRAPH_ROUTES: 403 route-not-allowed.
    ['GET /graph/beta/me', 403, 'problem'],
    ['GET /graph/v1.0/..%2fadmin', 400, 'problem'],
    [
      'TRACE /graph/v1.0/me',
      405,
      'problem',
      () => rawRequest('TRACE', '/graph/v1.0/me', { ...csrf, cookie: sessionCookieHeader }),
    ],
    ['GET /graph/v1.0/hang-up', 502, 'problem', upstreamHangsUp],
    ['PUT /graph/v1.0/big.bin', 503, 'problem', streamedUploadRefused],
    ['GET /no-such-endpoint', 404, 'problem'],
    ['GET /healthz', 200, 'other'],
  ])(
    '%s answers %i with nosniff and the headers of an answer of kind %s',
    async (request, status, kind, send = () => sendSignedIn(request)) => {
      const response = await send();
      await response.body?.cancel();
      expect(response.status).toBe(status);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      for (const [name, value] of Object.entries(expectedFor(kind))) {
        expect(response.headers.get(name), name).toBe(value);
      }
      // No opener policy anywhere: it would null the popup login's window.opener (see security-headers.ts).
      expect(response.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(corsHeaders(response.headers)).toEqual([]);
    },
  );

  it('the popup page runs only its own nonced script, cannot be framed, and keeps its opener', async () => {
    const response = await harness.login(new TestBrowser(), '?mode=popup');
    expect(response.status).toBe(200);
    const html = await response.text();
    const nonce = /<script nonce="([A-Za-z0-9+/=]{22,})">/.exec(html)?.[1] ?? '';
    expect(nonce).not.toBe('');
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cross-origin-opener-policy')).toBeNull();
  });
});

describe('no CORS grant to another origin', () => {
  it.each([
    { path: '/graph/v1.0/me', method: 'GET' },
    { path: '/auth/logout', method: 'POST' },
    { path: '/auth/session', method: 'GET' },
  ])(
    'a preflight from another origin for $method $path is refused and forwards nothing, even with the session cookie',
    async ({ path, method }) => {
      const response = await signedIn.fetch(at(path), {
        method: 'OPTIONS',
        headers: {
          origin: evilOrigin,
          'access-control-request-method': method,
          'access-control-request-headers': 'x-csrf',
        },
      });
      await response.body?.cancel();
      // Fetch Standard, CORS-preflight fetch: it passes only with a 2xx and a matching Allow-Origin.
      expect(response.ok).toBe(false);
      expect(corsHeaders(response.headers)).toEqual([]);
      expect(harness.graph.requests).toEqual([]);
    },
  );

  it('a credentialed read of /auth/session from another origin gets no CORS grant', async () => {
    const response = await signedIn.fetch(at('/auth/session'), {
      headers: { origin: evilOrigin },
    });
    await response.body?.cancel();
    expect(response.status).toBe(200);
    expect(corsHeaders(response.headers)).toEqual([]);
  });

  it("strips an upstream's CORS grant and keeps its other headers as sent, adding none of the gateway's", async () => {
    harness.graph.route('GET', '/v1.0/cors', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'private, max-age=60',
        vary: 'Origin',
        'x-upstream': 'kept',
        'Access-Control-Allow-Origin': '*',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-upstream',
        'access-control-allow-methods': 'GET, DELETE',
        'access-control-allow-headers': 'authorization',
        'access-control-max-age': '86400',
        'access-control-allow-private-network': 'true',
      });
      response.end('{"ok":true}');
    });
    const response = await signedIn.fetch(at('/graph/v1.0/cors'), {
      headers: { ...csrf, origin: evilOrigin },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(corsHeaders(response.headers)).toEqual([]);
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.get('x-upstream')).toBe('kept');
    for (const name of [
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'content-security-policy',
      'cross-origin-resource-policy',
    ]) {
      expect(response.headers.get(name), name).toBeNull();
    }
    const [received] = harness.graph.requests;
    expect(received?.headers.authorization).toMatch(/^Bearer .+/);
    expect(received?.headers.origin).toBeUndefined();
  });
});
