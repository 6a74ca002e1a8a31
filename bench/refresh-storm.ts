// Refresh storm: N concurrent requests at an expired token, on one or two gateway processes sharing Redis — how many refresh grants reach the authorization server, and the burst's latency.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startGatewayHarness, type GatewayHarness } from '../test/support/gateway-harness.ts';
import { TestBrowser } from '../test/support/test-browser.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const requestCount = Number(values.requests);
const rounds = Number(values.rounds);
/** Past the stand-in's 300 s access-token lifetime: every round starts with an expired token. */
const pastExpiryMs = 10 * 60 * 1000;

interface RoundResult {
  readonly processes: number;
  readonly round: number;
  readonly requests: number;
  readonly ok: number;
  readonly refreshGrants: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly burstMs: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 10) / 10;
}

async function storm(
  harness: GatewayHarness,
  browser: TestBrowser,
  origins: readonly string[],
  round: number,
): Promise<RoundResult> {
  const refreshGrants = () =>
    harness.openIdProvider.tokenRequests.filter((request) => request.grantType === 'refresh_token')
      .length;
  harness.clock.advance(pastExpiryMs);
  const grantsBefore = refreshGrants();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: requestCount }, async (_, index) => {
      const sent = performance.now();
      const origin = origins[index % origins.length] ?? harness.url;
      const response = await browser.fetch(`${origin}/graph/v1.0/me`, {
        headers: { 'x-csrf': '1' },
      });
      await response.arrayBuffer();
      return { status: response.status, latencyMs: performance.now() - sent };
    }),
  );
  const burstMs = performance.now() - started;
  const latencies = outcomes.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
  return {
    processes: origins.length,
    round,
    requests: requestCount,
    ok: outcomes.filter((outcome) => outcome.status === 200).length,
    refreshGrants: refreshGrants() - grantsBefore,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    burstMs: Math.round(burstMs),
  };
}

const harness = await startGatewayHarness({ LOG_LEVEL: 'warn', UPSTREAM_TIMEOUT_S: '30' });
const results: RoundResult[] = [];
try {
  const browser = new TestBrowser();
  const login = await harness.login(browser);
  if (login.status !== 302) throw new Error(`login failed with ${login.status}`);
  const replica = await harness.startReplica();
  for (const origins of [[harness.url], [harness.url, replica.url]]) {
    for (let round = 1; round <= rounds; round += 1)
      results.push(await storm(harness, browser, origins, round));
  }
} finally {
  await harness.close();
}

const print = (line: string): boolean => process.stdout.write(`${line}\n`);
print(`refresh storm: ${requestCount} concurrent requests at an expired token (one session)\n`);
console.table(results);
const worst = Math.max(...results.map((result) => result.refreshGrants));
print(`refresh grants per storm: at most ${worst} (expected 1)`);
await mkdir(new URL('results/', import.meta.url), { recursive: true });
const output = new URL('results/refresh-storm.json', import.meta.url);
await writeFile(
  output,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
);
print(`written to ${output.pathname}`);
