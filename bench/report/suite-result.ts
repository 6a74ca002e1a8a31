// The shape of bench/results/latest.json: the machine, the settings, every scenario's numbers and the checks of issue 7.
import type { Steadiness } from '../measure/machine-steadiness.ts';
import type { RoundTripCount } from '../measure/redis-round-trips.ts';
import type { RefreshStormSummary } from '../scenarios/refresh-storm-run.ts';
import type { StreamingPhase } from '../scenarios/streaming-memory.ts';
import type { TargetThroughput } from '../scenarios/throughput.ts';
import type { TwoGatewaysResult } from '../scenarios/two-gateways.ts';
import type { TargetCheck } from './target-checks.ts';

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly kernel: string;
  readonly loadGenerator: string;
  /** The server under test on core 1, everything else on core 0; false when taskset or a second core is missing. */
  readonly pinned: boolean;
  /** The nginx measured as a proxy (`nginx/1.22.1`); null when it was not installed or did not start. */
  readonly nginx: string | null;
  /** A busy thread on the server core, the machine otherwise idle, before the runs. */
  readonly steadiness: Steadiness;
}

export interface SuiteSettings {
  readonly connections: number;
  readonly runs: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly latencySeconds: number;
}

export interface SuiteResult {
  readonly date: string;
  readonly machine: MachineDescription;
  readonly settings: SuiteSettings;
  readonly throughput: readonly TargetThroughput[];
  readonly redisRoundTrips: RoundTripCount | null;
  readonly twoGateways: TwoGatewaysResult | null;
  readonly refreshStorm: readonly RefreshStormSummary[] | null;
  readonly streaming: readonly { readonly target: string; readonly phases: StreamingPhase[] }[];
  readonly checks: readonly TargetCheck[];
  /** Non-2xx answers or socket errors anywhere: the numbers of a flagged run are suspect. */
  readonly flagged: boolean;
  readonly suiteSeconds: number;
}
