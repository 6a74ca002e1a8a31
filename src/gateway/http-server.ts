// Serves the gateway over HTTP and stops it gracefully: no new connections, in-flight requests finish, then the store closes.
import type { AddressInfo } from 'node:net';
import { serve, type Http2Bindings, type HttpBindings, type ServerType } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Gateway } from './build-gateway.ts';
import { faultyFraming, faultyFramingAnswer } from './request-framing.ts';

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

/** While stopping, how often connections that finished their last response are closed. */
const idleSweepIntervalMs = 50;

/** How long an idle keep-alive connection stays open: longer than a balancer's idle timeout. */
export const keepAliveTimeoutMs = 65_000;

/** Node's default head limit (request line and header lines), stated: see `serverOptions`. */
export const maximumHeaderBytes = 16 * 1024;

export function serveGateway(
  gateway: Gateway,
  options: { port: number; hostname: string },
): GatewayServer {
  let markListening: (address: AddressInfo) => void = () => undefined;
  let markFailed: (error: Error) => void = () => undefined;
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    markListening = resolve;
    markFailed = reject;
  });
  const server = serve(
    {
      // Hono answers HEAD by rebuilding the GET response, which would lose the marker that the
      // proxy already wrote to the socket; the raw response knows what was sent.
      fetch: async (request: Request, bindings: HttpBindings | Http2Bindings) => {
        // Synchronous, before any await: Node dispatches pipelined requests in order, so a
        // connection is marked faulty before the next request it carries is looked at.
        const faulty = faultyFraming(bindings.incoming);
        if (faulty !== null) return faultyFramingAnswer(faulty);
        const response = await gateway.app.fetch(request, bindings);
        return bindings.outgoing.headersSent ? RESPONSE_ALREADY_SENT : response;
      },
      port: options.port,
      hostname: options.hostname,
      serverOptions: {
        // Node's default 300 s `requestTimeout` would cut long uploads; `headersTimeout` still bounds slow headers.
        requestTimeout: 0,
        // Stated: Node's default is min(60 s, requestTimeout), which the 0 above would make 0 too, and
        // a head that never ends (slowloris) would then hold its connection for ever. It bounds a
        // request's head only, never an idle keep-alive connection (keepAliveTimeout below).
        headersTimeout: 60_000,
        // Longer than the idle timeout of the balancers that reuse connections to the gateway
        // (AWS ALB and ingress-nginx: 60 s): with Node's 5 s default, a request the balancer sends
        // on a connection the gateway is closing at that instant fails as a 502 (RFC 9112 §9.6).
        keepAliveTimeout: keepAliveTimeoutMs,
        // Stated, so NODE_OPTIONS (`--insecure-http-parser`, `--max-http-header-size`) cannot loosen
        // them: the strict parser answers 400 to the framing a proxy in front may read differently
        // (both Content-Length and Transfer-Encoding, duplicate Content-Length, a coding list not
        // ending in `chunked`, obs-fold, bare CR or LF: RFC 9112 §6.3, §5.2, §2.2), and heads past
        // 16 KiB are answered 431 before any of the gateway's code runs.
        insecureHTTPParser: false,
        maxHeaderSize: maximumHeaderBytes,
        requireHostHeader: true,
      },
    },
    markListening,
  );
  // A port already taken or an address that cannot be bound rejects `listening` instead of crashing.
  server.once('error', markFailed);
  let stopped: Promise<void> | null = null;
  return {
    server,
    listening,
    stop(graceMs) {
      stopped ??= new Promise<void>((resolve) => {
        const closeIdle = () => {
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        };
        const forceClose = setTimeout(() => {
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, graceMs);
        // A keep-alive connection whose request was in flight stays open after its response until
        // the client lets it go (Node's 5 s keep-alive timeout), holding `close` and the exit:
        // connections are closed as soon as they fall idle.
        const idleSweep = setInterval(closeIdle, idleSweepIntervalMs);
        server.close(() => {
          clearTimeout(forceClose);
          clearInterval(idleSweep);
          resolve();
        });
        closeIdle();
      }).then(() => gateway.close());
      return stopped;
    },
  };
}
