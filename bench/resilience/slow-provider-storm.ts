// A refresh storm while the authorization server takes seconds to answer: how many grants reach it, and whether every waiter gets the result or a clean 503 within PROVIDER_TIMEOUT_S.
import { startGatewayHarness, type GatewayHarness } from '../../test/support/gateway-harness.ts';
import type { ProviderContext } from '../../test/support/openid-provider.ts';
import { TestBrowser } from '../../test/support/test-browser.ts';
import {
  countStatuses,
  sessionHeaders,
  sleep,
  summarize,
  timedRequest,
  watchForCrashes,
  type LatencySummary,
} from './measure.ts';

/** Past the stand-in's 300 s access-token lifetime: the storm starts at an expired token. */
const pastExpiryMs = 10 * 60 * 1000;

export interface SlowProviderOptions {
  /** Concurrent requests of one session at its expired token (more than 32 wait in line for a slot). */
  readonly requests: number;
  /** How long the token endpoint takes to answer. */
  readonly providerDelayMs: number;
  readonly providerTimeoutSeconds: number;
}

export interface SlowProviderResult {
  readonly options: SlowProviderOptions;
  /**
   * Token requests that reached the authorization server during the storm, answered or abandoned
   * (a grant the gateway gave up on at PROVIDER_TIMEOUT_S was still sent once).
   */
  readonly tokenRequests: number;
  readonly statuses: Record<string, number>;
  readonly latency: LatencySummary;
  /** 503 answers without a numeric Retry-After (contract §4 wants one on each). */
  readonly unavailableWithoutRetryAfter: number;
  /** The Retry-After values the 503s carried. */
  readonly retryAfterValues: string[];
  /** Once the server is fast again and the one-second cool-down is over: the next request's status. */
  readonly afterwardsStatus: number;
  readonly crashes: number;
}

/** Koa's per-request entry point, looked up on the application at each request. */
type HandleRequest = (context: ProviderContext, handle: unknown) => Promise<void>;

/**
 * Makes the stand-in's token endpoint answer `delayMs` late while `slow()` says so. oidc-provider
 * is a Koa application whose middleware list is composed (copied) once, at start; but Koa calls
 * `this.handleRequest(context, composed)` for every request, so wrapping that on the instance
 * delays a token request before any of its middleware runs, the grant included.
 */
function slowTokenEndpoint(
  harness: GatewayHarness,
  delayMs: number,
  slow: () => boolean,
): { arrivals(): number } {
  let arrivals = 0;
  const application = harness.openIdProvider.provider as unknown as {
    handleRequest?: HandleRequest;
  };
  const handleRequest = application.handleRequest?.bind(application);
  if (handleRequest === undefined) throw new Error('oidc-provider is no longer a Koa application');
  application.handleRequest = async (context, handle) => {
    if (slow() && context.method === 'POST' && context.path.endsWith('/oauth2/v2.0/token')) {
      arrivals += 1;
      await sleep(delayMs);
      // The gateway gave up meanwhile (PROVIDER_TIMEOUT_S): nobody is left to answer.
      if (context.req.destroyed) return;
    }
    return handleRequest(context, handle);
  };
  return { arrivals: () => arrivals };
}

export async function runSlowProviderStorm(
  options: SlowProviderOptions,
): Promise<SlowProviderResult> {
  const harness = await startGatewayHarness({
    LOG_LEVEL: 'error',
    PROVIDER_TIMEOUT_S: String(options.providerTimeoutSeconds),
    // Requests past the session's 32 in flight wait in line for a slot up to this: not the bound tested here.
    UPSTREAM_TIMEOUT_S: '30',
  });
  const crashes = watchForCrashes();
  let slow = false;
  try {
    const tokenEndpoint = slowTokenEndpoint(harness, options.providerDelayMs, () => slow);
    const browser = new TestBrowser();
    const login = await harness.login(browser);
    if (login.status !== 302) throw new Error(`login failed with ${login.status}`);
    const headers = sessionHeaders(browser);
    slow = true;
    harness.clock.advance(pastExpiryMs);
    const answers = await Promise.all(
      Array.from({ length: options.requests }, () =>
        timedRequest(`${harness.url}/graph/v1.0/me`, headers),
      ),
    );
    // Requests still on their way (none should be) are counted too.
    await sleep(500);
    const tokenRequests = tokenEndpoint.arrivals();
    slow = false;
    await sleep(1_100); // past the one-second cool-down a transient failure leaves in the lock
    const afterwards = await timedRequest(`${harness.url}/graph/v1.0/me`, headers);
    const unavailable = answers.filter((answer) => answer.status === 503);
    return {
      options,
      tokenRequests,
      statuses: countStatuses(answers.map((answer) => answer.status)),
      latency: summarize(answers.map((answer) => answer.ms)),
      unavailableWithoutRetryAfter: unavailable.filter(
        (answer) => !/^\d+$/.test(answer.retryAfter ?? ''),
      ).length,
      retryAfterValues: [...new Set(unavailable.map((answer) => answer.retryAfter ?? 'none'))],
      afterwardsStatus: afterwards.status,
      crashes: crashes.stop(),
    };
  } finally {
    crashes.stop();
    await harness.close();
  }
}
