// Starts a configured gateway the way the process does (`npm start`, `npm run demo`): build, listen, and stop gracefully.
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { buildGateway, type Gateway } from './build-gateway.ts';
import { serveGateway } from './http-server.ts';

/** Contract §1: in-flight requests get this long to finish after SIGTERM. */
export const shutdownGraceMs = 10_000;

export interface RunningGateway {
  readonly gateway: Gateway;
  /** Where the gateway listens (with `PORT=0`, the port the system chose). */
  readonly address: AddressInfo;
  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes upstream
   * sockets and the store. Idempotent: a second signal waits for the first stop.
   */
  stop(graceMs?: number): Promise<void>;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  if (config.allowInsecureHttp) {
    logger.warn(
      'ALLOW_INSECURE_HTTP=true: plain-http issuers, endpoints and APIs are accepted; never use this in production',
    );
  }
  const gateway = buildGateway(config, logger);
  const httpServer = serveGateway(gateway, { port: config.port, hostname: config.host });
  const address = await httpServer.listening;
  logger.info(
    { address: address.address, port: address.port, providers: [...config.providers.keys()] },
    'gateway listening',
  );
  return {
    gateway,
    address,
    stop: (graceMs = shutdownGraceMs) => httpServer.stop(graceMs),
  };
}
