// The throughput scenario: each target in turn, interleaved run by run, at 64 connections (requests/s, latency, CPU per request) and at 1 connection (latency).
import type { LoadRequest, LoadResult } from '../load/load-result.ts';
import { runLoad, type GeneratorName } from '../load/load-generator.ts';
import { processCpuMicroseconds } from '../measure/process-cpu.ts';
import { commandDelta, snapshotCommands, type CommandDelta } from '../measure/redis-commands.ts';
import { median, round } from '../measure/statistics.ts';
import { pinProcess, pinning } from '../setup/cpu-pinning.ts';
import type { TargetName, ThroughputTarget } from './throughput-target.ts';

export interface ThroughputSettings {
  readonly generator: GeneratorName;
  readonly connections: number;
  readonly runs: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly latencySeconds: number;
  /** Processes that serve every target (the upstream, Redis): kept on the helper core unless under test. */
  readonly helperPids: readonly number[];
}

export interface RunMeasurement extends LoadResult {
  /** CPU time of the process under test over the run divided by the requests; null without /proc. */
  readonly cpuMicrosecondsPerRequest: number | null;
}

export interface TargetThroughput {
  readonly target: TargetName;
  readonly description: string;
  readonly saturationRuns: RunMeasurement[];
  readonly singleConnectionRuns: RunMeasurement[];
  /** Median of the saturation runs (requests/s, p50, p99, CPU per request). */
  readonly saturation: MedianMeasurement;
  readonly singleConnection: MedianMeasurement;
  /** Gateway only: Redis commands over every saturation run, per request. */
  readonly redis: (CommandDelta & { readonly perRequest: number }) | null;
  /** Any run with a non-2xx answer or a socket error. */
  readonly flagged: boolean;
}

export interface MedianMeasurement {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMicrosecondsPerRequest: number | null;
}

function medianOf(runs: readonly RunMeasurement[]): MedianMeasurement {
  const cpu = runs.map((run) => run.cpuMicrosecondsPerRequest);
  return {
    requestsPerSecond: Math.round(median(runs.map((run) => run.requestsPerSecond))),
    p50Ms: round(median(runs.map((run) => run.latencyMs.p50)), 3),
    p99Ms: round(median(runs.map((run) => run.latencyMs.p99)), 3),
    cpuMicrosecondsPerRequest: cpu.includes(null) ? null : round(median(cpu as number[]), 1),
  };
}

/** The target alone on the server core; the upstream and Redis with the load generator. */
function placeProcesses(target: ThroughputTarget, settings: ThroughputSettings): void {
  if (pinning === null) return;
  for (const pid of settings.helperPids)
    if (pid !== target.pid) pinProcess(pid, pinning.helperCore);
  pinProcess(target.pid, pinning.serverCore);
}

async function measuredRun(
  target: ThroughputTarget,
  settings: ThroughputSettings,
  connections: number,
  durationSeconds: number,
): Promise<RunMeasurement> {
  placeProcesses(target, settings);
  const request: LoadRequest = {
    url: target.url,
    connections,
    durationSeconds,
    headers: target.headers,
    core: pinning?.helperCore ?? null,
  };
  const cpuBefore = processCpuMicroseconds(target.pid);
  const result = await runLoad(settings.generator, request);
  const cpuAfter = processCpuMicroseconds(target.pid);
  const cpuMicrosecondsPerRequest =
    cpuBefore === null || cpuAfter === null || result.requests === 0
      ? null
      : round((cpuAfter - cpuBefore) / result.requests, 1);
  return { ...result, cpuMicrosecondsPerRequest };
}

export async function measureThroughput(
  targets: readonly ThroughputTarget[],
  settings: ThroughputSettings,
  progress: (line: string) => void,
): Promise<TargetThroughput[]> {
  const saturationRuns = new Map<TargetName, RunMeasurement[]>();
  const singleConnectionRuns = new Map<TargetName, RunMeasurement[]>();
  const redisDeltas = new Map<TargetName, CommandDelta[]>();
  for (const target of targets) {
    progress(`warm-up: ${target.name}, ${settings.warmupSeconds} s`);
    await measuredRun(target, settings, settings.connections, settings.warmupSeconds);
  }
  // Interleaved (A B C, A B C …) so a drift of the machine spreads over every target alike.
  for (let run = 1; run <= settings.runs; run += 1) {
    for (const target of targets) {
      const before = target.redis === undefined ? null : await snapshotCommands(target.redis);
      const measured = await measuredRun(
        target,
        settings,
        settings.connections,
        settings.durationSeconds,
      );
      if (before !== null && target.redis !== undefined) {
        const delta = commandDelta(before, await snapshotCommands(target.redis));
        redisDeltas.set(target.name, [...(redisDeltas.get(target.name) ?? []), delta]);
      }
      saturationRuns.set(target.name, [...(saturationRuns.get(target.name) ?? []), measured]);
      progress(describeRun(target.name, run, measured));
    }
  }
  for (let run = 1; run <= settings.runs; run += 1) {
    for (const target of targets) {
      const measured = await measuredRun(target, settings, 1, settings.latencySeconds);
      singleConnectionRuns.set(target.name, [
        ...(singleConnectionRuns.get(target.name) ?? []),
        measured,
      ]);
      progress(describeRun(target.name, run, measured));
    }
  }
  return targets.map((target) => {
    const saturation = saturationRuns.get(target.name) ?? [];
    const single = singleConnectionRuns.get(target.name) ?? [];
    const deltas = redisDeltas.get(target.name);
    return {
      target: target.name,
      description: target.description,
      saturationRuns: saturation,
      singleConnectionRuns: single,
      saturation: medianOf(saturation),
      singleConnection: medianOf(single),
      redis: deltas === undefined ? null : sumDeltas(deltas, saturation),
      flagged: [...saturation, ...single].some((run) => run.non2xx > 0 || run.errors > 0),
    };
  });
}

function sumDeltas(
  deltas: readonly CommandDelta[],
  runs: readonly RunMeasurement[],
): CommandDelta & { perRequest: number } {
  const byCommand: Record<string, number> = {};
  for (const delta of deltas)
    for (const [name, calls] of Object.entries(delta.byCommand))
      byCommand[name] = (byCommand[name] ?? 0) + calls;
  const commands = deltas.reduce((sum, delta) => sum + delta.commands, 0);
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  return { commands, byCommand, perRequest: round(commands / Math.max(1, requests), 3) };
}

export function describeRun(name: string, run: number, measured: RunMeasurement): string {
  const cpu =
    measured.cpuMicrosecondsPerRequest === null
      ? ''
      : `, ${measured.cpuMicrosecondsPerRequest} µs CPU/req`;
  const failures =
    measured.non2xx + measured.errors > 0
      ? `, ${measured.non2xx} non-2xx, ${measured.errors} errors`
      : '';
  return `${name} run ${run} at ${measured.connections} connection(s): ${measured.requestsPerSecond} req/s, p50 ${measured.latencyMs.p50} ms, p99 ${measured.latencyMs.p99} ms${cpu}${failures}`;
}
