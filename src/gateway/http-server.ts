// Serves the gateway over HTTP and stops it gracefully: no new connections, in-flight requests finish, then the store closes.
import type { AddressInfo } from 'node:net';
import { serve, type Http2Bindings, type HttpBindings, type ServerType } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Gateway } from './build-gateway.ts';

export interface GatewayServer {
  readonly server: ServerType;
  /** Resolves with the bound address once the server listens. */
  readonly listening: Promise<AddressInfo>;
  /**
   * Stops accepting connections, closes idle keep-alive ones, gives in-flight requests up to
   * `graceMs` to finish, then closes what remains, the upstream agents and the store.
   */
  stop(graceMs: number): Promise<void>;
}

export function serveGateway(
  gateway: Gateway,
  options: { port: number; hostname: string },
): GatewayServer {
  let markListening: (address: AddressInfo) => void = () => undefined;
  const listening = new Promise<AddressInfo>((resolve) => (markListening = resolve));
  const server = serve(
    {
      // Hono answers HEAD by rebuilding the GET response, which would lose the marker that the
      // proxy already wrote to the socket; the raw response knows what was sent.
      fetch: async (request: Request, bindings: HttpBindings | Http2Bindings) => {
        const response = await gateway.app.fetch(request, bindings);
        return bindings.outgoing.headersSent ? RESPONSE_ALREADY_SENT : response;
      },
      port: options.port,
      hostname: options.hostname,
      // Node's default 300 s `requestTimeout` would cut long uploads; `headersTimeout` still bounds slow headers.
      serverOptions: { requestTimeout: 0 },
    },
    markListening,
  );
  let stopped: Promise<void> | null = null;
  return {
    server,
    listening,
    stop(graceMs) {
      stopped ??= new Promise<void>((resolve) => {
        const forceClose = setTimeout(() => {
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, graceMs);
        server.close(() => {
          clearTimeout(forceClose);
          resolve();
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      }).then(() => gateway.close());
      return stopped;
    },
  };
}
