// The proxy engine question of issue 7: the bare undici stream() proxy against the bare http-proxy-middleware one, measured in the same run; information for a decision, not a target.
import { round } from '../measure/statistics.ts';
import type { RunMeasurement, TargetThroughput } from '../scenarios/throughput.ts';
import { markdownTable, type Cell } from './text-table.ts';

/** Run i of one target over run i of the other: the runs are interleaved, so each pair met the same machine. */
function perRunRatios(
  numerators: readonly RunMeasurement[],
  denominators: readonly RunMeasurement[],
  value: (run: RunMeasurement) => number | null,
): string {
  const ratios = numerators.map((run, index) => {
    const numerator = value(run);
    const denominator = denominators[index] === undefined ? null : value(denominators[index]);
    return numerator === null || denominator === null || denominator === 0
      ? '–'
      : String(round(numerator / denominator, 3));
  });
  return ratios.join(', ');
}

function ratio(numerator: number | null, denominator: number | null): number | null {
  return numerator === null || denominator === null || denominator === 0
    ? null
    : round(numerator / denominator, 3);
}

/** Null when either bare proxy was not measured. */
export function engineComparisonTable(
  throughput: readonly TargetThroughput[],
  connections: number,
): string | null {
  const undici = throughput.find((target) => target.target === 'bare-undici-proxy');
  const httpProxyMiddleware = throughput.find((target) => target.target === 'bare-proxy');
  if (undici === undefined || httpProxyMiddleware === undefined) return null;
  const rows: Cell[][] = [
    [
      `undici proxy ÷ HPM proxy, requests/s at ${connections} connections`,
      ratio(undici.saturation.requestsPerSecond, httpProxyMiddleware.saturation.requestsPerSecond),
      perRunRatios(
        undici.saturationRuns,
        httpProxyMiddleware.saturationRuns,
        (run) => run.requestsPerSecond,
      ),
    ],
    [
      `undici proxy ÷ HPM proxy, CPU µs per request at ${connections} connections (below 1: undici is cheaper)`,
      ratio(
        undici.saturation.cpuMicrosecondsPerRequest,
        httpProxyMiddleware.saturation.cpuMicrosecondsPerRequest,
      ),
      perRunRatios(
        undici.saturationRuns,
        httpProxyMiddleware.saturationRuns,
        (run) => run.cpuMicrosecondsPerRequest,
      ),
    ],
    [
      'undici proxy ÷ HPM proxy, p50 at 1 connection',
      ratio(undici.singleConnection.p50Ms, httpProxyMiddleware.singleConnection.p50Ms),
      perRunRatios(
        undici.singleConnectionRuns,
        httpProxyMiddleware.singleConnectionRuns,
        (run) => run.latencyMs.p50,
      ),
    ],
  ];
  return markdownTable(
    ['proxy engine (information, not an issue 7 target)', 'ratio of medians', 'per run'],
    rows,
  );
}
