// The gateway's proxy route in miniature: a Hono app on @hono/node-server whose catch-all does exactly what the gateway will do, plus small HTTP clients that send targets unnormalised.
import { once } from 'node:events';
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { toProblem } from '../../src/gateway/problem.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createForwarder, type Forwarder } from '../../src/proxy/forwarder.ts';
import { resolveUpstreamPath } from '../../src/proxy/upstream-path.ts';
import { freePort } from '../support/free-port.ts';

export const testAccessToken = 'test-token';

export interface ProxyHarness {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly forwarder: Forwarder;
  /** Every JSON log line the forwarder wrote, for "the logs never hold …" assertions. */
  readonly logLines: string[];
  close(): Promise<void>;
}

/** What the catch-all hands a route: the raw request and response, and the resolved upstream path. */
export interface RouteRequest {
  readonly context: Context<{ Bindings: HttpBindings }>;
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  readonly upstreamPath: string;
  readonly forwarder: Forwarder;
}

/**
 * The catch-all's work once the path is resolved: returns the route's own answer, or undefined once
 * the forwarder has answered; a thrown error becomes a problem, as `app.onError` makes it.
 */
export type ProxyRoute = (request: RouteRequest) => Promise<Response | undefined>;

/** Forwards once, as the gateway did before an upstream 401 could be replayed. */
export const forwardOnce: ProxyRoute = async ({ incoming, outgoing, upstreamPath, forwarder }) => {
  await forwarder.forward(incoming, outgoing, { upstreamPath, accessToken: testAccessToken });
  return undefined;
};

export interface HarnessOptions {
  readonly apiUrl: URL;
  readonly upstreamTimeoutMs?: number;
  /** The catch-all's work; `forwardOnce` by default. */
  readonly route?: ProxyRoute;
}

function problemResponse(c: Context, error: unknown): Response {
  const problem = toProblem(error);
  return c.body(problem.body, problem.status as ContentfulStatusCode, problem.headers);
}

export async function startProxyHarness(options: HarnessOptions): Promise<ProxyHarness> {
  const logLines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  const forwarder = createForwarder({
    apiUrl: options.apiUrl,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 5_000,
    logger,
  });
  const app = new Hono<{ Bindings: HttpBindings }>();
  // The gateway's catch-all, as the gateway writes it; `onError` stands in for its one mapping point.
  const route = options.route ?? forwardOnce;
  app.all('/graph/*', async (c) => {
    const { incoming, outgoing } = c.env;
    const { upstreamPath } = resolveUpstreamPath(incoming.url!, '/graph');
    try {
      const answer = await route({ context: c, incoming, outgoing, upstreamPath, forwarder });
      return answer ?? RESPONSE_ALREADY_SENT;
    } catch (error) {
      return problemResponse(c, error);
    }
  });
  app.onError((error, c) => problemResponse(c, error));
  const port = await freePort();
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }) as Server;
  await once(server, 'listening');
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    forwarder,
    logLines,
    async close() {
      forwarder.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ClientRequestOptions {
  readonly method?: string;
  /** Sent exactly as given: node:http does not normalise `..` or percent-encoding. */
  readonly path: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

export async function responseOf(request: ClientRequest): Promise<IncomingMessage> {
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  return response;
}

export async function jsonOf(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString()) as unknown;
}

/** One request on its own connection, read to the end. */
export async function send(port: number, options: ClientRequestOptions): Promise<ClientResponse> {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    agent: false,
    method: options.method ?? 'GET',
    path: options.path,
    headers: options.headers,
  });
  request.end(options.body);
  const response = await responseOf(request);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    body: Buffer.concat(chunks),
  };
}

/**
 * Writes a request head no HTTP client library would send (raw backslashes, control characters)
 * and returns the status line. The head should ask for `Connection: close`; the socket is not
 * half-closed, because Node's server aborts a request whose client half-closes.
 */
export async function sendRaw(port: number, head: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(head, 'latin1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await Promise.race([once(socket, 'close'), once(socket, 'end')]);
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1').split('\r\n', 1)[0] ?? '';
}

export interface AnsweredUpload {
  readonly response: IncomingMessage;
  /** Bytes of the body written before the answer came (the rest was never sent). */
  readonly sentBytes: number;
  /** Settles when the connection closes (the server hung up, or it was already closed). */
  readonly connectionClosed: Promise<void>;
}

/**
 * Writes a body of `totalBytes` 1 MiB chunk by chunk, under its Content-Length, and stops as soon
 * as the response head arrives: a browser whose upload the server answered early.
 */
export async function uploadUntilAnswered(
  port: number,
  options: { method: string; path: string; totalBytes: number },
): Promise<AnsweredUpload> {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    agent: false,
    method: options.method,
    path: options.path,
    headers: { 'content-length': String(options.totalBytes) },
  });
  request.on('error', () => undefined);
  const connectionClosed = new Promise<void>((resolve) => {
    request.once('socket', (socket) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
  });
  let answered = false;
  const answer = responseOf(request).finally(() => (answered = true));
  const chunk = Buffer.alloc(Math.min(1024 * 1024, options.totalBytes), 0x61);
  let sentBytes = 0;
  while (!answered && !request.destroyed && sentBytes < options.totalBytes) {
    const size = Math.min(chunk.length, options.totalBytes - sentBytes);
    sentBytes += size;
    if (!request.write(chunk.subarray(0, size))) {
      await Promise.race([once(request, 'drain'), answer, connectionClosed]);
    }
  }
  return { response: await answer, sentBytes, connectionClosed };
}
