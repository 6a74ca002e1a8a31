// The suite's printed report: throughput per target, the other scenarios, and the issue 7 checks, as Markdown tables.
import { engineComparisonTable } from './engine-comparison.ts';
import type { SuiteResult } from './suite-result.ts';
import { markdownTable, type Cell } from './text-table.ts';

/** nginx is optional (installed when it can be): without it, its rows stay in the table and say so. */
function nginxNotMeasuredRows(connections: number): Cell[][] {
  return [`${connections} connections`, '1 connection'].map((load) => [
    `nginx proxy, ${load}`,
    null,
    null,
    null,
    null,
    null,
    'not measured',
  ]);
}

function throughputRows(result: SuiteResult): Cell[][] {
  const rows: Cell[][] = [];
  const nginxMeasured = result.throughput.some((target) => target.target === 'nginx-proxy');
  for (const target of result.throughput) {
    const { saturation, singleConnection } = target;
    // Where nginx's rows would be: just before the gateway's.
    if (target.target === 'gateway' && !nginxMeasured)
      rows.push(...nginxNotMeasuredRows(result.settings.connections));
    const flag = target.flagged ? 'FLAGGED: non-2xx or errors' : 'all 200';
    rows.push([
      `${target.description}, ${result.settings.connections} connections`,
      saturation.requestsPerSecond,
      saturation.p50Ms,
      saturation.p99Ms,
      Math.round((saturation.p99Ms / saturation.p50Ms) * 100) / 100,
      saturation.cpuMicrosecondsPerRequest,
      flag,
    ]);
    rows.push([
      `${target.description}, 1 connection`,
      singleConnection.requestsPerSecond,
      singleConnection.p50Ms,
      singleConnection.p99Ms,
      null,
      singleConnection.cpuMicrosecondsPerRequest,
      flag,
    ]);
  }
  const two = result.twoGateways;
  if (two !== null)
    rows.push([
      `2 gateways on 1 Redis, ${two.connectionsPerGateway} connections each (unpinned)`,
      two.totalRequestsPerSecond,
      null,
      null,
      null,
      two.cpuMicrosecondsPerRequest,
      two.flagged ? 'FLAGGED: non-2xx or errors' : 'all 200',
    ]);
  return rows;
}

export function formatReport(result: SuiteResult): string {
  const sections = [
    `Benchmark ${result.date} — ${result.machine.cpuModel}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.loadGenerator}, ${result.machine.pinned ? 'server pinned to core 1' : 'not pinned'}${result.machine.nginx === null ? '' : `, ${result.machine.nginx}`}; medians of ${result.settings.runs} runs of ${result.settings.durationSeconds} s (1 connection: ${result.settings.latencySeconds} s) after ${result.settings.warmupSeconds} s of warm-up`,
    `Machine steadiness: a busy thread on the server core lost ${Math.round(result.machine.steadiness.lostShare * 1000) / 10} % of ${result.machine.steadiness.seconds} s to ${result.machine.steadiness.stalls} stalls over 1 ms (longest ${result.machine.steadiness.longestStallMs} ms) with the machine idle: tails above that are the machine's, not the server's`,
    markdownTable(
      ['scenario', 'requests/s', 'p50 ms', 'p99 ms', 'p99 ÷ p50', 'CPU µs/request', 'responses'],
      throughputRows(result),
    ),
  ];
  const engines = engineComparisonTable(result.throughput, result.settings.connections);
  if (engines !== null) sections.push(engines);
  if (result.refreshStorm !== null)
    sections.push(
      markdownTable(
        [
          'refresh storm',
          'storms',
          'requests',
          'worst 200s',
          'most grants',
          'p99 ms (median)',
          'p99 ms (worst)',
        ],
        result.refreshStorm.map((storm) => [
          `${storm.processes} gateway process(es)`,
          storm.storms,
          storm.requestsPerStorm,
          storm.worstOk,
          storm.mostRefreshGrants,
          storm.p99Ms,
          storm.worstP99Ms,
        ]),
      ),
    );
  if (result.streaming.length > 0)
    sections.push(
      markdownTable(
        [
          'streaming (4 in parallel, 50 MB each)',
          'RSS at start MB',
          'peak growth MB',
          'growth at end MB',
          'seconds',
          'MB/s',
          'failed',
        ],
        result.streaming.flatMap(({ target, phases }) =>
          phases.map((phase) => [
            `${target}: ${phase.phase}`,
            phase.startMb,
            phase.peakGrowthMb,
            phase.endGrowthMb,
            phase.seconds,
            phase.megabytesPerSecond,
            phase.failures,
          ]),
        ),
      ),
    );
  if (result.redisRoundTrips !== null) {
    const trips = result.redisRoundTrips;
    sections.push(
      `Redis per proxied request (MONITOR over ${trips.requests} sequential requests): ${trips.perRequest} client command(s) ${JSON.stringify(trips.byCommand)}, ${trips.insideScripts / trips.requests} run inside scripts`,
    );
  }
  sections.push(
    markdownTable(
      ['issue 7 target', 'measured', 'target', 'verdict'],
      result.checks.map((check) => [
        check.check,
        check.measured,
        check.target,
        check.verdict.toUpperCase(),
      ]),
    ),
  );
  if (result.flagged) sections.push('WARNING: some runs had non-2xx answers or socket errors.');
  return `${sections.join('\n\n')}\n`;
}
