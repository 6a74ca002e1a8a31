// A stand-in for the Microsoft Graph API (node:http, streaming) that checks bearers with the test OpenID provider and records every request.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, type ListenOptions } from './loopback-server.ts';
import { builtInRoutes, type BuiltInRoute, type RouteContext } from './mock-graph/routes.ts';
import {
  graphUnauthorizedBody,
  graphUnauthorizedChallenge,
  sendJson,
} from './mock-graph/responses.ts';
import {
  digestBody,
  type DownloadRecord,
  type MutableDownloadRecord,
} from './mock-graph/streaming.ts';
import type { TestOpenIdProvider } from './openid-provider.ts';
import { ContinuousAccess, type ContinuousAccessEvent } from './mock-graph/continuous-access.ts';

export { graphUnauthorizedBody, graphUnauthorizedChallenge } from './mock-graph/responses.ts';
export { downloadPattern, type DownloadRecord } from './mock-graph/streaming.ts';
export type { ChallengeStyle, ContinuousAccessEvent } from './mock-graph/continuous-access.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
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
  /**
   * Continuous access evaluation: from the next second on, `subject`'s earlier tokens are answered
   * 401 `insufficient_claims` with a claims challenge in the given spelling.
   */
  revokeContinuousAccess(subject: string, event: ContinuousAccessEvent): { notBefore: number };
  /** Clears requests, downloads, overrides and continuous-access events. */
  reset(): void;
  /** Distinct upstream TCP connections seen (keep-alive evidence). */
  readonly connectionCount: number;
  close(): Promise<void>;
}

/** What mock Graph needs of an authorization server: its tenant and a way to check its tokens. */
export type GraphTokenIssuer = Pick<TestOpenIdProvider, 'tenantId' | 'introspect'>;

export async function startMockGraph(options: {
  /** Whose access tokens Graph accepts: the oidc-provider stand-in, or any server that can introspect its tokens. */
  openIdProvider: GraphTokenIssuer;
  listen?: ListenOptions;
}): Promise<MockGraph> {
  const { openIdProvider } = options;
  const requests: RecordedRequest[] = [];
  const downloads: MutableDownloadRecord[] = [];
  const overrides = new Map<string, RouteHandler>();
  let connectionCount = 0;
  const routes = builtInRoutes(openIdProvider.tenantId, downloads);
  const continuousAccess = new ContinuousAccess();

  const { server, origin, close } = await startLoopbackServer(options.listen);
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
    answer(openIdProvider, routes, continuousAccess, { request, response, url, body }).catch(
      (error: unknown) => {
        if (response.headersSent) return void response.destroy();
        const message = error instanceof Error ? error.message : String(error);
        sendJson(response, 500, { error: { code: 'generalException', message } });
      },
    );
  });

  return {
    url: origin,
    requests,
    downloads,
    route(method, path, handler) {
      overrides.set(`${method.toUpperCase()} ${path}`, handler);
    },
    revokeContinuousAccess: (subject, event) => continuousAccess.revoke(subject, event),
    reset() {
      requests.length = 0;
      downloads.length = 0;
      overrides.clear();
      continuousAccess.clear();
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
  continuousAccess: ContinuousAccess,
  context: Omit<RouteContext, 'match' | 'subject'>,
): Promise<void> {
  const { request, response, url } = context;
  const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const introspection = token === undefined ? null : await openIdProvider.introspect(token);
  if (introspection === null)
    return sendJson(response, 401, graphUnauthorizedBody, {
      'www-authenticate': graphUnauthorizedChallenge,
    });
  if (continuousAccess.challenged(introspection, response)) return;
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
