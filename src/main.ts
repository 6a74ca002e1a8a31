// Entry point: loads the configuration, starts the gateway, and shuts down gracefully on SIGTERM or SIGINT.
import { ConfigError, loadConfig } from './config/load-config.ts';
import { startGateway } from './gateway/start-gateway.ts';
import { createLogger } from './observability/logger.ts';

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
const running = await startGateway(config, logger).catch((error: unknown) => {
  // A port already taken or an address that cannot be bound: say which, then exit non-zero.
  logger.fatal(
    { error: (error as NodeJS.ErrnoException).code ?? (error as Error).name },
    'cannot listen',
  );
  process.exit(1);
});

function shutdown(signal: string): void {
  logger.info({ signal }, 'shutting down: no new connections, waiting for in-flight requests');
  running
    .stop()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      logger.error({ error: (error as Error).name }, 'shutdown failed');
      process.exit(1);
    });
}
// `on`, not `once`: a second signal during the drain (an impatient orchestrator, a double Ctrl-C)
// must not fall back to Node's default handler, which would kill the in-flight requests; stop()
// is idempotent, so it waits for the first stop.
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
