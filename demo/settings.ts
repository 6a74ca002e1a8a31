// The demo's settings: fixed demo credentials and the DEMO_* variables, read once at start-up.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The stand-in Entra tenant; fixed so that docker-compose.yml can name the issuer. */
export const demoTenantId = '3f6d0c1e-5b2a-4c8e-9d71-0a4b8c2e7f15';

/**
 * Demo client credentials, known to the stand-ins and given to the gateway. They open nothing
 * but the demo's own stand-ins: never reuse them anywhere else.
 */
export const demoCredentials = {
  graphClientId: 'demo-graph-client',
  graphClientSecret: 'demo-graph-secret-not-for-production',
  serviceNowClientId: 'demo-servicenow-client',
  serviceNowClientSecret: 'demo-servicenow-secret-not-for-production',
} as const;

export interface DemoSettings {
  /** The gateway's port (`PORT`, default 8080; 0 picks a free one). */
  readonly port: number;
  /** Where the stand-ins (and the gateway) listen: `DEMO_HOST`, default 127.0.0.1. */
  readonly host: string;
  /** The origin the browser uses: `DEMO_PUBLIC_URL`, default `http://localhost:${port}`. */
  readonly publicUrl: string | null;
  /** `DEMO_IDP_PORT`, `DEMO_SERVICENOW_PORT`, `DEMO_GRAPH_PORT`, `DEMO_APP_PORT`: 0 (default) picks a free one. */
  readonly ports: {
    readonly identityProvider: number;
    readonly serviceNow: number;
    readonly graph: number;
    readonly app: number;
  };
  /** `REDIS_URL`: the gateway uses Redis when set, its in-memory store otherwise. */
  readonly redisUrl: string | null;
  /** `LOG_LEVEL` of the gateway, default `warn` so the console stays readable. */
  readonly logLevel: string;
  /**
   * `DEMO_APP_DIR`: the folder the demo app server serves instead of demo/spa (e.g. `examples/spa`),
   * absolute or relative to the working directory (`npm run demo` runs in the repository root).
   * Null: demo/spa.
   */
  readonly appDirectory: string | null;
}

/** Reads the demo's variables; a malformed port is an error naming the variable. */
export function readDemoSettings(environment: NodeJS.ProcessEnv): DemoSettings {
  const port = (name: string, fallback: number): number => {
    const text = environment[name];
    if (text === undefined || text === '') return fallback;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535)
      throw new Error(`${name} must be a port number (0-65535), not "${text}"`);
    return Number(text);
  };
  return {
    port: port('PORT', 8080),
    host: environment.DEMO_HOST || '127.0.0.1',
    publicUrl: environment.DEMO_PUBLIC_URL || null,
    ports: {
      identityProvider: port('DEMO_IDP_PORT', 0),
      serviceNow: port('DEMO_SERVICENOW_PORT', 0),
      graph: port('DEMO_GRAPH_PORT', 0),
      app: port('DEMO_APP_PORT', 0),
    },
    redisUrl: environment.REDIS_URL || null,
    logLevel: environment.LOG_LEVEL || 'warn',
    appDirectory: readAppDirectory(environment.DEMO_APP_DIR),
  };
}

/** DEMO_APP_DIR must name a folder holding an index.html: anything else would serve only 404s. */
function readAppDirectory(text: string | undefined): string | null {
  if (text === undefined || text === '') return null;
  const folder = resolve(text);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new Error(`DEMO_APP_DIR must name a folder (such as examples/spa), not "${text}"`);
  if (!existsSync(join(folder, 'index.html')))
    throw new Error(`DEMO_APP_DIR must hold an index.html (the app's page): none in "${text}"`);
  return folder;
}
