// A node:http server on a free loopback port, whose close() ends every connection: the base of each HTTP stand-in.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface LoopbackServer {
  /** Listening already, with no request listener: the stand-in adds its own. */
  readonly server: Server;
  /** `http://127.0.0.1:${port}`, no trailing slash. */
  readonly origin: string;
  /**
   * Stops listening and destroys every connection, idle or mid-request, so a hung request ends too.
   * A function property, not a method: a stand-in hands it on as its own `close`.
   */
  readonly close: () => Promise<void>;
}

/** Where a stand-in listens: tests use the defaults; the demo's container listens on all addresses at fixed ports. */
export interface ListenOptions {
  /** Default `127.0.0.1`. The origin stays `http://127.0.0.1:${port}` whatever the address. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
}

/**
 * Listens on port 0 first: the port is free and no other test file can take it, and a stand-in
 * needs it before it is built (its URLs and issuer name it).
 */
export async function startLoopbackServer(options: ListenOptions = {}): Promise<LoopbackServer> {
  // server.close() alone waits for every open connection, kept-alive or hung: close() destroys them.
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await Promise.race([
    once(server, 'listening'),
    // A fixed port already taken: fail with the reason rather than an unhandled 'error' event.
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return {
    server,
    origin: `http://127.0.0.1:${address.port}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * An origin where nothing listens, for "the upstream is unreachable" tests. Port 9 (discard) on
 * loopback: every test server listens on a port the system chose from the ephemeral range, so
 * none can ever take it — unlike a port that was merely free a moment ago, which a test file
 * running in parallel may bind before the request is sent.
 */
export const closedOrigin = 'http://127.0.0.1:9';
