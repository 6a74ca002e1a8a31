// Starts a configured gateway the way the process does (`npm start`, `npm run demo`): build, listen, and stop gracefully.
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { buildGateway, type Gateway } from './build-gateway.ts';
import { serveGateway, type GatewayServer } from './http-server.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';

/** Contract §1: in-flight requests get this long to finish after SIGTERM. */
export const shutdownGraceMs = 10_000;

export interface RunningGateway {
  readonly gateway: Gateway;
  /** Where the gateway listens (with `PORT=0`, the port the system chose). */
  readonly address: AddressInfo;
  /** Where `/metrics` is served (HOST:METRICS_PORT), or null when METRICS_PORT is unset. */
  readonly metricsAddress: AddressInfo | null;
  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes upstream
   * sockets and the store. The metrics listener closes at once (a scrape in flight is cut).
   * Idempotent: a second signal waits for the first stop.
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
  const metricsServer = await listenForScrapes(config, gateway, httpServer, logger);
  let stopped: Promise<void> | null = null;
  return {
    gateway,
    address,
    metricsAddress: metricsServer === null ? null : await metricsServer.listening,
    stop: (graceMs = shutdownGraceMs) => {
      stopped ??= Promise.all([metricsServer?.close(), httpServer.stop(graceMs)]).then(
        () => undefined,
      );
      return stopped;
    },
  };
}

/**
 * Contract §1: `/metrics` on HOST:METRICS_PORT only, never on the public port. A port that cannot
 * be bound stops the gateway again and fails the start, as the main port does.
 */
async function listenForScrapes(
  config: GatewayConfig,
  gateway: Gateway,
  httpServer: GatewayServer,
  logger: Logger,
): Promise<MetricsServer | null> {
  if (config.metricsPort === null) return null;
  const metricsServer = startMetricsServer({
    metrics: gateway.dependencies.metrics,
    port: config.metricsPort,
    host: config.host,
    logger,
  });
  try {
    const address = await metricsServer.listening;
    logger.info({ address: address.address, port: address.port }, 'metrics listening');
    return metricsServer;
  } catch (error) {
    await httpServer.stop(0);
    throw error;
  }
}
