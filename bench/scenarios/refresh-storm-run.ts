// Runs the refresh storm (bench/refresh-storm.ts, its own process) and summarises its JSON: refresh grants per storm and the burst's p99, on one and on two gateway processes.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { spawnTypeScript } from '../setup/bench-process.ts';

export interface RefreshStormSummary {
  readonly processes: number;
  readonly storms: number;
  readonly requestsPerStorm: number;
  /** Every storm: how many answered 200, out of `requestsPerStorm`. */
  readonly worstOk: number;
  /** The most refresh grants any storm sent to the authorization server (expected: 1). */
  readonly mostRefreshGrants: number;
  /** Median over the storms of each storm's p99, and the worst storm's p99. */
  readonly p99Ms: number;
  readonly worstP99Ms: number;
}

interface StormRound {
  processes: number;
  requests: number;
  ok: number;
  refreshGrants: number;
  p99Ms: number;
}

export async function runRefreshStorm(rounds: number): Promise<RefreshStormSummary[]> {
  const storm = spawnTypeScript('bench/refresh-storm.ts', {
    scriptArguments: ['--rounds', String(rounds)],
    // Its own table is summarised here: keep the suite's output to one table.
    onStdoutLine: () => undefined,
  });
  const [code] = (await once(storm.child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench/refresh-storm.ts exited with ${code}`);
  const output = JSON.parse(
    await readFile(new URL('../results/refresh-storm.json', import.meta.url), 'utf8'),
  ) as { results: StormRound[] };
  return [1, 2].map((processes) =>
    summarise(
      processes,
      output.results.filter((round) => round.processes === processes),
    ),
  );
}

function summarise(processes: number, storms: readonly StormRound[]): RefreshStormSummary {
  const p99s = storms.map((storm) => storm.p99Ms).sort((first, second) => first - second);
  return {
    processes,
    storms: storms.length,
    requestsPerStorm: storms[0]?.requests ?? 0,
    worstOk: Math.min(...storms.map((storm) => storm.ok)),
    mostRefreshGrants: Math.max(...storms.map((storm) => storm.refreshGrants)),
    p99Ms: p99s[Math.floor(p99s.length / 2)] ?? NaN,
    worstP99Ms: p99s.at(-1) ?? NaN,
  };
}
