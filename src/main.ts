// Entry point: loads the configuration, builds the gateway, serves it, and shuts down gracefully on SIGTERM.
import { ConfigError, loadConfig } from './config/load-config.ts';
import { buildGateway } from './gateway/build-gateway.ts';
import { serveGateway } from './gateway/http-server.ts';
import { createLogger } from './observability/logger.ts';

/** Contract §1: in-flight requests get this long to finish after SIGTERM. */
const shutdownGraceMs = 10_000;

function readConfig() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // One message naming every problem, before listening; values of secrets are never printed.
      process.stderr.write(`bff-gateway: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);
if (config.allowInsecureHttp) {
  logger.warn(
    'ALLOW_INSECURE_HTTP=true: plain-http issuers, endpoints and APIs are accepted; never use this in production',
  );
}
const gateway = buildGateway(config, logger);
const httpServer = serveGateway(gateway, { port: config.port, hostname: config.host });
httpServer.listening
  .then((address) => {
    logger.info(
      { address: address.address, port: address.port, providers: [...config.providers.keys()] },
      'gateway listening',
    );
  })
  .catch(() => undefined);

function shutdown(signal: string): void {
  logger.info({ signal }, 'shutting down: no new connections, waiting for in-flight requests');
  httpServer
    .stop(shutdownGraceMs)
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      logger.error({ error: (error as Error).name }, 'shutdown failed');
      process.exit(1);
    });
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
