// Entry point: loads the configuration, builds the gateway, serves it, and shuts down gracefully on SIGTERM.
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { buildGateway } from './gateway/build-gateway.ts';
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
const server = serve(
  { fetch: gateway.app.fetch, port: config.port, hostname: config.host },
  (address) => {
    logger.info(
      { address: address.address, port: address.port, providers: [...config.providers.keys()] },
      'gateway listening',
    );
  },
);

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new connections, waiting for in-flight requests');
  const forceExit = setTimeout(() => {
    logger.warn('in-flight requests did not finish within the grace period; closing them');
    if ('closeAllConnections' in server) server.closeAllConnections();
  }, shutdownGraceMs);
  forceExit.unref();
  if ('closeIdleConnections' in server) server.closeIdleConnections();
  server.close(() => {
    clearTimeout(forceExit);
    gateway
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ error: (error as Error).name }, 'closing the store failed');
        process.exit(1);
      });
  });
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
