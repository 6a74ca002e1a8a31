// The real gateway as `node src/main.ts` processes on one real Redis, with the stand-in IdP, and a browser signed in once whose cookie the load generators reuse.
import type { TestOpenIdProvider } from '../../test/support/openid-provider.ts';
import { startOpenIdProvider } from '../../test/support/openid-provider.ts';
import { freePort } from '../../test/support/free-port.ts';
import { startRedis, type TestRedis } from '../../test/support/redis-server.ts';
import { TestBrowser } from '../../test/support/test-browser.ts';
import { spawnTypeScript, untilAnswering, type BenchProcess } from '../setup/bench-process.ts';

const sessionSecret = 'bench-session-secret-0123456789-abcdefghijkl';
/** The session cookie's name when PUBLIC_URL is http. */
const sessionCookieName = 'bff-session';
/** Far longer than the suite (under 5 minutes): no refresh during a run (TOKEN_REFRESH_SKEW_S is 60 s). */
const accessTokenTtlSeconds = 3_600;

export interface GatewayProcess extends BenchProcess {
  readonly url: string;
}

export interface GatewayStack {
  readonly redis: TestRedis;
  readonly openIdProvider: TestOpenIdProvider;
  /** The first gateway: PUBLIC_URL, and where the browser signed in. */
  readonly gateway: GatewayProcess;
  /** `Cookie` and `X-CSRF` of the signed-in browser: every load generator sends these. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Another gateway process on the same Redis and configuration (the session works on it too). */
  startReplica(nodeArguments?: string[]): Promise<GatewayProcess>;
  /** Log lines at warn or above, beyond the expected ALLOW_INSECURE_HTTP warning at start. */
  readonly unexpectedLogLines: string[];
  close(): Promise<void>;
}

export async function startGatewayStack(options: {
  upstreamUrl: string;
  /** Extra Node flags for the first gateway (`--cpu-prof`). */
  nodeArguments?: string[];
}): Promise<GatewayStack> {
  const redis = await startRedis();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const openIdProvider = await startOpenIdProvider({
    redirectUris: [`${publicUrl}/auth/callback/graph`],
    accessTokenTtlSeconds,
  });
  const unexpectedLogLines: string[] = [];
  const environment = {
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    SESSION_SECRET: sessionSecret,
    REDIS_URL: redis.url,
    ALLOW_INSECURE_HTTP: 'true',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    GRAPH_CLIENT_ID: openIdProvider.clientId,
    GRAPH_CLIENT_SECRET: openIdProvider.clientSecret,
    GRAPH_ISSUER: openIdProvider.issuer,
    GRAPH_API_URL: options.upstreamUrl,
  };
  const startGateway = async (gatewayPort: number, nodeArguments: string[] = []) => {
    const started = spawnTypeScript('src/main.ts', {
      env: { ...environment, PORT: String(gatewayPort) },
      nodeArguments,
      onStdoutLine: (line) => {
        if (line.includes('ALLOW_INSECURE_HTTP')) return;
        unexpectedLogLines.push(line);
        process.stderr.write(`gateway ${gatewayPort}: ${line}\n`);
      },
    });
    const url = `http://127.0.0.1:${gatewayPort}`;
    await untilAnswering(`${url}/readyz`);
    return { ...started, url };
  };
  const gateway = await startGateway(port, options.nodeArguments);
  const replicas: GatewayProcess[] = [];
  const requestHeaders = { cookie: await signIn(publicUrl), 'x-csrf': '1' };
  return {
    redis,
    openIdProvider,
    gateway,
    requestHeaders,
    unexpectedLogLines,
    async startReplica(nodeArguments) {
      const replica = await startGateway(await freePort(), nodeArguments);
      replicas.push(replica);
      return replica;
    },
    async close() {
      for (const replica of replicas) await replica.stop();
      await gateway.stop();
      await openIdProvider.close();
      await redis.close();
    },
  };
}

/** Signs a cookie-jar browser in to Graph through the gateway; returns its `Cookie` header value. */
async function signIn(publicUrl: string): Promise<string> {
  const browser = new TestBrowser();
  const callback = await browser.followUntil(
    `${publicUrl}/auth/login/graph`,
    `${publicUrl}/auth/callback/`,
  );
  const answer = await browser.fetch(callback);
  await answer.arrayBuffer();
  const cookie = browser.cookie('127.0.0.1', sessionCookieName);
  if (answer.status !== 302 || cookie === undefined)
    throw new Error(`sign-in failed: the callback answered ${answer.status}`);
  const probe = await fetch(`${publicUrl}/graph/v1.0/me`, {
    headers: { cookie: `${sessionCookieName}=${cookie}`, 'x-csrf': '1' },
  });
  await probe.arrayBuffer();
  if (probe.status !== 200) throw new Error(`a signed-in request answered ${probe.status}`);
  return `${sessionCookieName}=${cookie}`;
}
