// `npm run bench` (resilience part): Redis stalled and stopped under load, a slow authorization server during a refresh storm, a hanging upstream, 10,000 sessions in Redis, slow readers of a large download.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runHangingUpstream } from './hanging-upstream.ts';
import { mebibyte } from './measure.ts';
import { runSessionMemory } from './session-memory.ts';
import { runSlowDownload } from './slow-download.ts';
import { runSlowProviderStorm } from './slow-provider-storm.ts';
import { runStoreFaults } from './store-faults.ts';

const scenarios = {
  'store-faults': () =>
    runStoreFaults({
      clients: 32,
      sessions: 4,
      steadyMs: 2_000,
      faultMs: 8_000,
      arrivalsPerSecond: 100,
    }),
  'slow-provider': async () => ({
    withinTimeout: await runSlowProviderStorm({
      requests: 500,
      providerDelayMs: 2_000,
      providerTimeoutSeconds: 3,
    }),
    beyondTimeout: await runSlowProviderStorm({
      requests: 500,
      providerDelayMs: 2_000,
      providerTimeoutSeconds: 1,
    }),
  }),
  'hanging-upstream': () =>
    runHangingUpstream({
      sessions: 8,
      requestsPerSession: 32,
      bursts: 3,
      upstreamTimeoutSeconds: 1,
    }),
  'session-memory': () => runSessionMemory({ sessions: 10_000, batch: 200 }),
  'slow-download': () =>
    runSlowDownload({
      sizeBytes: 100 * mebibyte,
      readers: 4,
      bytesPerSecond: mebibyte,
      readForMs: 4_000,
    }),
} as const;
type ScenarioName = keyof typeof scenarios;

const { values } = parseArgs({
  options: { only: { type: 'string', multiple: true } },
});
const selected = (values.only ?? Object.keys(scenarios)) as ScenarioName[];
for (const name of selected)
  if (!(name in scenarios))
    throw new Error(
      `unknown scenario ${name}; expected one of ${Object.keys(scenarios).join(', ')}`,
    );

const print = (line: string): boolean => process.stdout.write(`${line}\n`);
const results: Record<string, unknown> = {};
const startedAt = performance.now();
for (const name of selected) {
  const scenarioStartedAt = performance.now();
  const result = await scenarios[name]();
  results[name] = result;
  print(`\n${name} (${Math.round((performance.now() - scenarioStartedAt) / 100) / 10} s)`);
  print(summaryOf(name, result));
}
const seconds = Math.round((performance.now() - startedAt) / 100) / 10;
print(`\nresilience scenarios: ${seconds} s`);
await mkdir(new URL('../results/', import.meta.url), { recursive: true });
const output = new URL('../results/resilience.json', import.meta.url);
await writeFile(
  output,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds, results }, null, 2)}\n`,
);
print(`written to ${output.pathname}`);

/** The lines a reader compares with docs/PERFORMANCE.md; the JSON keeps everything. */
function summaryOf(name: ScenarioName, result: unknown): string {
  const lines: string[] = [];
  const add = (label: string, value: unknown): void =>
    void lines.push(
      `  ${label.padEnd(58)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    );
  if (name === 'store-faults') {
    const r = result as Awaited<ReturnType<typeof runStoreFaults>>;
    add(
      'steady load: answers, p50 / p99 ms',
      `${r.steady.latency.count}, ${r.steady.latency.p50Ms} / ${r.steady.latency.p99Ms}`,
    );
    for (const fault of [r.stall, r.outage]) {
      const label = fault.fault === 'stall' ? 'stall (SIGSTOP)' : 'outage (stopped)';
      add(`${label}: statuses`, fault.statuses);
      add(
        `${label}: 503 p50 / p99 / max ms`,
        `${fault.unavailable.p50Ms} / ${fault.unavailable.p99Ms} / ${fault.unavailable.maxMs}`,
      );
      add(
        `${label}: 503 once known p50 / p99 / max ms`,
        `${fault.unavailableOnceKnown.p50Ms} / ${fault.unavailableOnceKnown.p99Ms} / ${fault.unavailableOnceKnown.maxMs}`,
      );
      add(
        `${label}: most outstanding (at 100/s), once known`,
        `${fault.maxOutstanding}, ${fault.maxOutstandingOnceKnown}`,
      );
      add(
        `${label}: recovery ms (status), /readyz ms`,
        `${fault.recoveryMs} (${fault.recoveryStatus}), ${fault.readyAfterMs}`,
      );
      add(`${label}: peak RSS over steady load, MB`, fault.rssGrowthMb);
    }
    add('crashes (unhandled rejections, uncaught exceptions)', r.crashes);
  } else if (name === 'slow-provider') {
    const r = result as Awaited<ReturnType<(typeof scenarios)['slow-provider']>>;
    for (const [label, run] of [
      ['PROVIDER_TIMEOUT_S=3', r.withinTimeout],
      ['PROVIDER_TIMEOUT_S=1', r.beyondTimeout],
    ] as const) {
      add(`${label}, token endpoint 2 s: token requests`, run.tokenRequests);
      add(`${label}: statuses`, run.statuses);
      add(
        `${label}: p50 / p99 / max ms`,
        `${run.latency.p50Ms} / ${run.latency.p99Ms} / ${run.latency.maxMs}`,
      );
      add(
        `${label}: Retry-After values, 503s without one`,
        `${run.retryAfterValues.join(',') || '-'}, ${run.unavailableWithoutRetryAfter}`,
      );
    }
  } else if (name === 'hanging-upstream') {
    const r = result as Awaited<ReturnType<typeof runHangingUpstream>>;
    r.bursts.forEach((burst, index) => {
      add(`burst ${index + 1}: statuses`, burst.statuses);
      add(
        `burst ${index + 1}: p50 / p99 / max ms`,
        `${burst.latency.p50Ms} / ${burst.latency.p99Ms} / ${burst.latency.maxMs}`,
      );
      add(
        `burst ${index + 1}: upstream sockets open at answer → 0 after ms`,
        `${burst.upstreamConnectionsAtAnswer} → ${burst.socketsFreedAfterMs}`,
      );
    });
    add('peak upstream connections', r.peakUpstreamConnections);
    add('afterwards (upstream answers): statuses', r.afterwards.statuses);
  } else if (name === 'session-memory') {
    const r = result as Awaited<ReturnType<typeof runSessionMemory>>;
    add('sessions', r.options.sessions);
    add(
      'Redis used_memory growth: MB, bytes per session',
      `${r.usedMemoryGrowthMb}, ${r.bytesPerSession}`,
    );
    add('MEMORY USAGE of one session hash, bytes', r.sessionHashBytes);
    add('keys per session', r.keysPerSession);
    add('keys without TTL / keys checked', `${r.keysWithoutTtl} / ${r.keysChecked}`);
    add('TTL min / max s', `${r.ttlSeconds.min} / ${r.ttlSeconds.max}`);
    add('sessions created per second (commitLogin)', r.sessionsPerSecond);
  } else {
    const r = result as Awaited<ReturnType<typeof runSlowDownload>>;
    add(
      'readers × rate, read for',
      `${r.options.readers} × 1 MiB/s, ${r.options.readForMs / 1000} s of ${r.options.sizeBytes / mebibyte} MiB`,
    );
    add('read / produced by upstream, MiB', `${r.consumedMb} / ${r.producedMb}`);
    add('most held between upstream and browser, per download, MiB', r.maxHeldPerDownloadMb);
    add('peak RSS growth while reading, MB', r.rssGrowthMb);
    add('abort → upstream connection closed, ms', r.upstreamClosedAfterAbortMs);
    add('upstream connections left', r.upstreamConnectionsLeft);
    add(
      'full speed: MiB in s, RSS growth MB',
      `${r.fullSpeed.mb} in ${r.fullSpeed.seconds}, ${r.fullSpeed.rssGrowthMb}`,
    );
  }
  return lines.join('\n');
}
