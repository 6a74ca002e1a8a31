// Starts the whole demo in one process: the stand-ins, then the gateway in front of them and of the demo SPA.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { loadConfig } from '../src/config/load-config.ts';
import { startGateway } from '../src/gateway/start-gateway.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { DemoSettings } from './settings.ts';
import { startDemoStandIns } from './stand-ins.ts';

export interface RunningDemo {
  /** The URL to open: `${PUBLIC_URL}/`. */
  readonly url: string;
  /** Every code and token the stand-ins issued so far. */
  issuedSecrets(): readonly string[];
  /** Stops the gateway gracefully, then the stand-ins. */
  stop(): Promise<void>;
}

/** The stand-ins' redirect URIs name the gateway's origin, so a port of 0 is chosen before they start. */
async function choosePort(host: string, port: number): Promise<number> {
  if (port !== 0) return port;
  const probe = createServer().listen(0, host);
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startDemo(
  settings: DemoSettings,
  write: (line: string) => void = (line) => void process.stdout.write(line),
): Promise<RunningDemo> {
  const port = await choosePort(settings.host, settings.port);
  const publicUrl = settings.publicUrl ?? `http://localhost:${port}`;
  const standIns = await startDemoStandIns(settings, publicUrl);
  try {
    const config = loadConfig({
      PORT: String(port),
      HOST: settings.host,
      PUBLIC_URL: publicUrl,
      // A fresh secret per run: the demo's sessions end with it, as the in-memory store's do.
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      // The stand-ins speak plain http on loopback; never set this for a real deployment.
      ALLOW_INSECURE_HTTP: 'true',
      LOG_LEVEL: settings.logLevel,
      ...(settings.redisUrl === null ? {} : { REDIS_URL: settings.redisUrl }),
      ...standIns.gatewayEnvironment,
    });
    const logger = createLogger(config.logLevel, { write });
    const gateway = await startGateway(config, logger);
    return {
      url: `${publicUrl}/`,
      issuedSecrets: () => standIns.issuedSecrets(),
      async stop() {
        await gateway.stop();
        await standIns.close();
      },
    };
  } catch (error) {
    await standIns.close();
    throw error;
  }
}
