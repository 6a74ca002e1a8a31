// A stand-in for the Microsoft Graph API (node:http, streaming) that checks bearers with the test OpenID provider and records every request.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer } from './loopback-server.ts';
import { describeAccount, type TestOpenIdProvider } from './openid-provider.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
}

/** One `GET /v1.0/download`: how far it got, and whether the client went away mid-stream. */
export interface DownloadRecord {
  readonly requestedBytes: number;
  readonly writtenBytes: number;
  readonly outcome: 'streaming' | 'completed' | 'client-went-away';
}

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface MockGraph {
  /** `http://127.0.0.1:${port}` (GRAPH_API_URL). */
  readonly url: string;
  /** Every request received, recorded once its body is fully read. */
  readonly requests: RecordedRequest[];
  /** Every download started, updated while it streams. */
  readonly downloads: readonly DownloadRecord[];
  /** Overrides one route (exact method and path, query ignored) for the rest of the test; no bearer check. */
  route(method: string, path: string, handler: RouteHandler): void;
  /** Clears requests, downloads and overrides. */
  reset(): void;
  /** Distinct upstream TCP connections seen (keep-alive evidence). */
  readonly connectionCount: number;
  close(): Promise<void>;
}

/** Graph's answer to a missing, expired or revoked token, body and challenge exactly. */
export const graphUnauthorizedBody = {
  error: {
    code: 'InvalidAuthenticationToken',
    message: 'Access token has expired or is not yet valid.',
  },
};
export const graphUnauthorizedChallenge =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

/** 251 (a prime) keeps the pattern from lining up with power-of-two chunk sizes, so a lost or repeated chunk shows. */
const patternChunk = Buffer.from(Array.from({ length: 251 * 256 }, (_, index) => index % 251));

/** The bytes `GET /v1.0/download?bytes=N` sends: byte i is i mod 251. */
export function downloadPattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += patternChunk.length)
    patternChunk.copy(bytes, offset);
  return bytes;
}

interface BodyDigest {
  length: number;
  sha256: string;
}

interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  match: RegExpExecArray;
  subject: string;
  body: Promise<BodyDigest>;
}

/** What mock Graph needs of an authorization server: its tenant and a way to check its tokens. */
export type GraphTokenIssuer = Pick<TestOpenIdProvider, 'tenantId' | 'introspect'>;

type MutableDownloadRecord = { -readonly [Key in keyof DownloadRecord]: DownloadRecord[Key] };

export async function startMockGraph(options: {
  /** Whose access tokens Graph accepts: the oidc-provider stand-in, or any server that can introspect its tokens. */
  openIdProvider: GraphTokenIssuer;
}): Promise<MockGraph> {
  const { openIdProvider } = options;
  const requests: RecordedRequest[] = [];
  const downloads: MutableDownloadRecord[] = [];
  const overrides = new Map<string, RouteHandler>();
  let connectionCount = 0;
  const routes = builtInRoutes(openIdProvider.tenantId, downloads);

  const { server, origin, close } = await startLoopbackServer();
  server.on('connection', () => (connectionCount += 1));
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const body = digestBody(request);
    // Recorded only once the whole body arrived, so `bodyLength` and `bodySha256` are final.
    body.then(
      (digest) =>
        requests.push({
          method,
          url: request.url ?? '',
          headers: { ...request.headers },
          bodyLength: digest.length,
          bodySha256: digest.sha256,
        }),
      () => undefined,
    );
    const url = new URL(request.url ?? '/', 'http://graph.invalid');
    const override = overrides.get(`${method.toUpperCase()} ${url.pathname}`);
    if (override !== undefined) return override(request, response);
    answer(openIdProvider, routes, { request, response, url, body }).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      const message = error instanceof Error ? error.message : String(error);
      sendJson(response, 500, { error: { code: 'generalException', message } });
    });
  });

  return {
    url: origin,
    requests,
    downloads,
    route(method, path, handler) {
      overrides.set(`${method.toUpperCase()} ${path}`, handler);
    },
    reset() {
      requests.length = 0;
      downloads.length = 0;
      overrides.clear();
    },
    get connectionCount() {
      return connectionCount;
    },
    close,
  };
}

/** Like Graph, the bearer is checked before the route: an unknown path without a token is a 401. */
async function answer(
  openIdProvider: GraphTokenIssuer,
  routes: BuiltInRoute[],
  context: Omit<RouteContext, 'match' | 'subject'>,
): Promise<void> {
  const { request, response, url } = context;
  const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const introspection = token === undefined ? null : await openIdProvider.introspect(token);
  if (introspection === null)
    return sendJson(response, 401, graphUnauthorizedBody, {
      'www-authenticate': graphUnauthorizedChallenge,
    });
  for (const route of routes) {
    const match = route.path.exec(url.pathname);
    if (match !== null && route.methods.includes(request.method ?? ''))
      return route.handle({ ...context, match, subject: introspection.sub });
  }
  const segment = url.pathname.split('/').pop() ?? '';
  sendJson(response, 404, {
    error: {
      code: 'ResourceNotFound',
      message: `Resource not found for the segment '${segment}'.`,
      innerError: { date: new Date().toISOString(), 'request-id': randomUUID() },
    },
  });
}

interface BuiltInRoute {
  methods: string[];
  path: RegExp;
  handle(context: RouteContext): void | Promise<void>;
}

function builtInRoutes(tenantId: string, downloads: MutableDownloadRecord[]): BuiltInRoute[] {
  return [
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me$/,
      handle({ response, subject }) {
        const account = describeAccount(subject, tenantId);
        sendJson(response, 200, {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
          id: account.objectId,
          displayName: account.displayName,
          mail: account.email,
          userPrincipalName: account.email,
        });
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me\/messages$/,
      handle({ response }) {
        sendJson(response, 200, {
          '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/messages",
          value: [
            { id: 'AAMkAGI2-message-1', subject: 'Quarterly report', isRead: false },
            { id: 'AAMkAGI2-message-2', subject: 'Lunch on Friday?', isRead: true },
          ],
        });
      },
    },
    {
      methods: ['POST', 'PUT'],
      path: /^\/v1\.0\/upload$/,
      async handle({ response, body }) {
        const digest = await body;
        sendJson(response, 200, { length: digest.length, sha256: digest.sha256 });
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/download$/,
      handle({ response, url }) {
        const bytes = url.searchParams.get('bytes') ?? '';
        if (!/^\d{1,10}$/.test(bytes))
          return sendJson(response, 400, {
            error: { code: 'BadRequest', message: 'bytes must be a non-negative integer' },
          });
        const record: MutableDownloadRecord = {
          requestedBytes: Number(bytes),
          writtenBytes: 0,
          outcome: 'streaming',
        };
        downloads.push(record);
        return streamPattern(response, record);
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me\/drive\/items\/([^/]+)\/content$/,
      handle({ response, match }) {
        // Graph hands out a pre-authenticated URL on another host: it must never get the bearer.
        const location = `https://download.example.invalid/preauth/${match[1] ?? ''}?tempauth=xyz`;
        response.writeHead(302, { location, 'content-length': '0', connection: 'keep-alive' });
        response.end();
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/echo$/,
      handle({ request, response }) {
        sendJson(response, 200, request.headers);
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/slow$/,
      handle({ response, url }) {
        const milliseconds = Number(url.searchParams.get('ms') ?? '0') || 0;
        const timer = setTimeout(
          () => sendJson(response, 200, { waitedMs: milliseconds }),
          milliseconds,
        );
        // A client that gave up leaves nothing pending in the stand-in.
        response.once('close', () => clearTimeout(timer));
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/set-cookie$/,
      handle({ response }) {
        sendJson(
          response,
          200,
          { ok: true },
          { 'set-cookie': 'upstream=1; Path=/', 'www-authenticate': 'Bearer realm="graph"' },
        );
      },
    },
  ];
}

/** Hashes the body as it streams (nothing buffered); rejects when the client goes away first. */
function digestBody(request: IncomingMessage): Promise<BodyDigest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    request.once('end', () => resolve({ length, sha256: hash.digest('hex') }));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('the client went away before the body ended'));
    });
  });
}

/** Writes the pattern chunk by chunk, waiting for `drain`, and stops as soon as the client goes away. */
async function streamPattern(
  response: ServerResponse,
  record: MutableDownloadRecord,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(record.requestedBytes),
    'request-id': randomUUID(),
    connection: 'keep-alive',
  });
  let clientWentAway = false;
  response.once('close', () => {
    if (!response.writableFinished) clientWentAway = true;
  });
  while (record.writtenBytes < record.requestedBytes && !clientWentAway) {
    const remaining = record.requestedBytes - record.writtenBytes;
    const chunk = patternChunk.subarray(0, Math.min(patternChunk.length, remaining));
    record.writtenBytes += chunk.length;
    if (!response.write(chunk) && !response.destroyed) await drainedOrClosed(response);
    if (response.destroyed) clientWentAway = true;
  }
  if (clientWentAway) {
    record.outcome = 'client-went-away';
    return;
  }
  response.end();
  record.outcome = 'completed';
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      response.off('drain', settle);
      response.off('close', settle);
      resolve();
    };
    response.on('drain', settle);
    response.on('close', settle);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'request-id': randomUUID(),
    connection: 'keep-alive',
    ...headers,
  });
  response.end(text);
}
