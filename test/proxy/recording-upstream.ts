// A stand-in upstream API (node:http) that records what it receives and answers whatever a test tells it to.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';

export interface ReceivedBody {
  readonly sha256: string;
  readonly length: number;
  /** False when the request closed before its body ended (the gateway aborted it). */
  readonly complete: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** Reads the body (on first access) and settles when it ended or the request closed. */
  readonly body: Promise<ReceivedBody>;
  /** Settles with true when the response closed before it was finished (the gateway hung up). */
  readonly responseClosedEarly: Promise<boolean>;
}

export type UpstreamHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>;

export interface RecordingUpstream {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connectionCount: number;
  /** TCP connections still open (pooled keep-alive sockets included). */
  readonly openConnectionCount: number;
  respondWith(handler: UpstreamHandler): void;
  /** Resolves with the next request to arrive (or the oldest one not yet taken). */
  nextRequest(): Promise<RecordedRequest>;
  reset(): void;
  close(): Promise<void>;
}

/** Answers 200 with what it received, once the whole body is in. */
export const echoReceived: UpstreamHandler = async (_request, response, recorded) => {
  const body = await recorded.body;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ url: recorded.url, ...body }));
};

/** ServiceNow's challenge: relayed to a browser, it would pop a native login dialog. */
export const serviceNowChallenge = 'Basic realm="Service-now"';

/**
 * Answers the first `count` requests 401 as ServiceNow does (challenge, a cookie, its JSON error),
 * after reading their body; every later one with `then`.
 */
export function unauthorizedFirst(
  count: number,
  then: UpstreamHandler = echoReceived,
): UpstreamHandler {
  let answered = 0;
  return async (request, response, recorded) => {
    answered += 1;
    if (answered > count) return then(request, response, recorded);
    await recorded.body;
    response.writeHead(401, {
      'www-authenticate': serviceNowChallenge,
      'set-cookie': 'glide_user_route=upstream',
      'x-upstream-only': 'leaked',
      'content-type': 'application/json',
    });
    response.end('{"error":{"message":"User Not Authenticated"}}');
  };
}

/** What the upstream records for a body that arrived whole: to compare with `await recorded.body`. */
export function receivedWhole(bytes: Buffer): ReceivedBody {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    length: bytes.length,
    complete: true,
  };
}

/** Reads the body only when first asked, so a handler can leave it unread (backpressure tests). */
function readBody(request: IncomingMessage): Promise<ReceivedBody> {
  const hash = createHash('sha256');
  let length = 0;
  return new Promise<ReceivedBody>((resolve) => {
    const settle = (): void =>
      resolve({ sha256: hash.digest('hex'), length, complete: request.complete });
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    request.once('end', settle);
    request.once('close', () => {
      if (!request.readableEnded) settle();
    });
    if (request.destroyed) settle();
  });
}

function record(request: IncomingMessage, response: ServerResponse): RecordedRequest {
  let body: Promise<ReceivedBody> | undefined;
  const responseClosedEarly = new Promise<boolean>((resolve) => {
    response.once('close', () => resolve(!response.writableFinished));
  });
  request.on('error', () => undefined);
  return {
    method: request.method ?? '',
    url: request.url ?? '',
    headers: request.headers,
    rawHeaders: request.rawHeaders,
    get body() {
      return (body ??= readBody(request));
    },
    responseClosedEarly,
  };
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  let handler: UpstreamHandler = echoReceived;
  let connectionCount = 0;
  let openConnectionCount = 0;
  const requests: RecordedRequest[] = [];
  const waiting: Array<(recorded: RecordedRequest) => void> = [];
  let taken = 0;

  const server = createServer((request, response) => {
    const recorded = record(request, response);
    requests.push(recorded);
    const waiter = waiting.shift();
    if (waiter !== undefined) {
      taken += 1;
      waiter(recorded);
    }
    response.on('error', () => undefined);
    Promise.resolve(handler(request, response, recorded)).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    connectionCount += 1;
    openConnectionCount += 1;
    socket.once('close', () => (openConnectionCount -= 1));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no upstream port');

  return {
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    get connectionCount() {
      return connectionCount;
    },
    get openConnectionCount() {
      return openConnectionCount;
    },
    respondWith(next) {
      handler = next;
    },
    nextRequest() {
      const pending = requests[taken];
      if (pending !== undefined) {
        taken += 1;
        return Promise.resolve(pending);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    reset() {
      handler = echoReceived;
      requests.length = 0;
      taken = 0;
      connectionCount = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
