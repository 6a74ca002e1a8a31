// Redis stalled (SIGSTOP) and then stopped, each under steady load: how fast requests get their 503, whether anything piles up, and how long recovery takes.
import { defaultSessionCacheTtlSeconds } from '../../src/config/environment-schema.ts';
import { startGatewayHarness, type GatewayHarness } from '../../test/support/gateway-harness.ts';
import { TestBrowser } from '../../test/support/test-browser.ts';
import {
  countStatuses,
  sampleRss,
  sessionHeaders,
  sleep,
  summarize,
  timedRequest,
  timeUntil,
  watchForCrashes,
  type LatencySummary,
  type TimedAnswer,
} from './measure.ts';

/** The store's command (and socket) timeout: src/session/redis-store.ts `defaultCommandTimeoutMs`. */
export const storeCommandTimeoutMs = 2_000;
/** The gateway runs with the default SESSION_CACHE_TTL_S: the session read cache is on. */
const sessionCacheTtlMs = defaultSessionCacheTtlSeconds * 1000;

export interface StoreFaultOptions {
  /** Closed-loop clients, each looping on GET /graph/v1.0/me. */
  readonly clients: number;
  /** Sessions the clients share (the gateway caps one session at 32 requests in flight). */
  readonly sessions: number;
  /** Load before the fault, and after recovery. */
  readonly steadyMs: number;
  /** How long Redis stays frozen, and how long it stays down. */
  readonly faultMs: number;
  /** Open-loop arrivals per second on top (requests sent whether or not earlier ones answered). */
  readonly arrivalsPerSecond: number;
}

export interface FaultResult {
  readonly fault: 'stall' | 'outage';
  readonly faultMs: number;
  /** Every answer to a request sent while the fault lasted, by status (0: connection failed). */
  readonly statuses: Record<string, number>;
  /** 503 store-unavailable answers to requests sent during the fault. */
  readonly unavailable: LatencySummary;
  /**
   * Those sent once the fault is known: a session read within the cache's time to live before the
   * fault is still served from memory until then; a command sent just before the stalled
   * connection is dropped (one command timeout in) is resent once and times out one command
   * timeout after it was sent, so from the time to live + two command timeouts (+ 500 ms) on
   * every request meets a known fault.
   */
  readonly unavailableOnceKnown: LatencySummary;
  /**
   * Most open-loop requests outstanding at once during the fault (bounded by arrivals per second
   * × the command timeout when nothing queues), and once the fault is known.
   */
  readonly maxOutstanding: number;
  readonly maxOutstandingOnceKnown: number;
  /** Resume (or restart) → the first answer that is not a 503, and which status it was. */
  readonly recoveryMs: number;
  readonly recoveryStatus: number;
  /** Resume (or restart) → /readyz 200. */
  readonly readyAfterMs: number;
  /** Peak RSS of this process during the fault, over its peak during the steady load before. */
  readonly rssGrowthMb: number;
}

export interface StoreFaultsResult {
  readonly options: StoreFaultOptions;
  readonly steady: { readonly statuses: Record<string, number>; readonly latency: LatencySummary };
  readonly stall: FaultResult;
  readonly outage: FaultResult;
  /** Peak RSS of this process (gateway, Redis client and load generator) under steady load. */
  readonly steadyPeakRssMb: number;
  /** Unhandled rejections and uncaught exceptions while it ran: each would end `node src/main.ts`. */
  readonly crashes: number;
}

interface Load {
  readonly answers: TimedAnswer[];
  /** Open-loop requests sent and not yet answered, now. */
  outstanding(): number;
  stop(): Promise<void>;
}

/** Closed-loop clients plus an open-loop arrival stream, all recording their answers. */
function startLoad(
  url: string,
  headers: Record<string, string>[],
  options: StoreFaultOptions,
): Load {
  const answers: TimedAnswer[] = [];
  let running = true;
  let outstanding = 0;
  const pending = new Set<Promise<void>>();
  const target = `${url}/graph/v1.0/me`;
  const headersOf = (index: number): Record<string, string> =>
    headers[index % headers.length] ?? {};
  const workers = Array.from({ length: options.clients }, async (_, index) => {
    while (running) answers.push(await timedRequest(target, headersOf(index)));
  });
  let arrivals = 0;
  const interval = setInterval(() => {
    arrivals += 1;
    outstanding += 1;
    const sent = timedRequest(target, headersOf(arrivals)).then((answer) => {
      answers.push(answer);
      outstanding -= 1;
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  }, 1000 / options.arrivalsPerSecond);
  return {
    answers,
    outstanding: () => outstanding,
    async stop() {
      running = false;
      clearInterval(interval);
      await Promise.all([...workers, ...pending]);
    },
  };
}

async function signIn(harness: GatewayHarness, count: number): Promise<TestBrowser[]> {
  const browsers = Array.from({ length: count }, () => new TestBrowser());
  for (const browser of browsers) {
    const answer = await harness.login(browser);
    if (answer.status !== 302) throw new Error(`login failed with ${answer.status}`);
  }
  return browsers;
}

/** Runs one fault under the load already running; `end` lifts it. */
async function underFault(
  harness: GatewayHarness,
  load: Load,
  headers: Record<string, string>,
  fault: { kind: 'stall' | 'outage'; begin(): Promise<void> | void; end(): Promise<void> | void },
  faultMs: number,
  steadyPeakRssMb: number,
): Promise<FaultResult> {
  const rss = sampleRss();
  let maxOutstanding = 0;
  let maxOutstandingOnceKnown = 0;
  const faultStartedAt = performance.now();
  // A session read just before the fault is served from memory until its cache entry expires; the
  // first command after that meets the stall (SECURITY.md §4.4).
  const knownAt = faultStartedAt + sessionCacheTtlMs + 2 * storeCommandTimeoutMs + 500;
  await fault.begin();
  const watcher = setInterval(() => {
    maxOutstanding = Math.max(maxOutstanding, load.outstanding());
    if (performance.now() > knownAt)
      maxOutstandingOnceKnown = Math.max(maxOutstandingOnceKnown, load.outstanding());
  }, 5);
  await sleep(faultMs);
  clearInterval(watcher);
  const faultPeakRssMb = rss.stop().peakMb;
  const faultEndedAt = performance.now();
  await fault.end();
  let recoveryStatus = 503;
  const recoveryMs = await timeUntil(async () => {
    recoveryStatus = (await timedRequest(`${harness.url}/graph/v1.0/me`, headers)).status;
    return recoveryStatus !== 503 && recoveryStatus !== 0;
  }, 15_000);
  const readyStartedAt = performance.now();
  await timeUntil(async () => (await fetch(`${harness.url}/readyz`)).status === 200, 15_000);
  const readyAfterMs = Math.round(recoveryMs + performance.now() - readyStartedAt);
  // Answers still arriving for requests sent during the fault are waited for before counting.
  await sleep(storeCommandTimeoutMs + 500);
  const during = load.answers.filter(
    (answer) => answer.startedAt >= faultStartedAt && answer.startedAt < faultEndedAt,
  );
  const unavailable = during.filter((answer) => answer.type === 'urn:bff:store-unavailable');
  return {
    fault: fault.kind,
    faultMs,
    statuses: countStatuses(during.map((answer) => answer.status)),
    unavailable: summarize(unavailable.map((answer) => answer.ms)),
    unavailableOnceKnown: summarize(
      unavailable.filter((answer) => answer.startedAt >= knownAt).map((answer) => answer.ms),
    ),
    maxOutstanding,
    maxOutstandingOnceKnown,
    recoveryMs,
    recoveryStatus,
    readyAfterMs,
    rssGrowthMb: Math.round((faultPeakRssMb - steadyPeakRssMb) * 10) / 10,
  };
}

export async function runStoreFaults(options: StoreFaultOptions): Promise<StoreFaultsResult> {
  const harness = await startGatewayHarness({ LOG_LEVEL: 'error', UPSTREAM_TIMEOUT_S: '10' });
  const crashes = watchForCrashes();
  try {
    const browsers = await signIn(harness, options.sessions);
    const headers = browsers.map(sessionHeaders);
    const probeHeaders = headers[0] ?? {};
    const load = startLoad(harness.url, headers, options);
    const steadyRss = sampleRss();
    await sleep(options.steadyMs);
    const steadyPeakRssMb = steadyRss.stop().peakMb;
    const steadyAnswers = [...load.answers];
    const stall = await underFault(
      harness,
      load,
      probeHeaders,
      { kind: 'stall', begin: () => harness.redis.pause(), end: () => harness.redis.resume() },
      options.faultMs,
      steadyPeakRssMb,
    );
    // Redis keeps nothing on disk here: after the restart every session is gone (401 session_expired).
    const outage = await underFault(
      harness,
      load,
      probeHeaders,
      { kind: 'outage', begin: () => harness.redis.stop(), end: () => harness.redis.start() },
      options.faultMs,
      steadyPeakRssMb,
    );
    await load.stop();
    return {
      options,
      steady: {
        statuses: countStatuses(steadyAnswers.map((answer) => answer.status)),
        latency: summarize(steadyAnswers.map((answer) => answer.ms)),
      },
      stall,
      outage,
      steadyPeakRssMb,
      crashes: crashes.stop(),
    };
  } finally {
    crashes.stop();
    await harness.close();
  }
}
