// Two gateway processes on one Redis, the load split across both (two generators at once), nothing pinned: the total requests/s one machine gives.
import type { LoadResult } from '../load/load-result.ts';
import { runLoad, type GeneratorName } from '../load/load-generator.ts';
import { processCpuMicroseconds } from '../measure/process-cpu.ts';
import { commandDelta, snapshotCommands } from '../measure/redis-commands.ts';
import { round } from '../measure/statistics.ts';
import { unpinProcess } from '../setup/cpu-pinning.ts';
import type { GatewayProcess, GatewayStack } from '../targets/gateway-processes.ts';

export interface TwoGatewaysResult {
  readonly connectionsPerGateway: number;
  readonly durationSeconds: number;
  readonly perGateway: LoadResult[];
  readonly totalRequestsPerSecond: number;
  readonly cpuMicrosecondsPerRequest: number | null;
  readonly redisCommandsPerRequest: number;
  readonly flagged: boolean;
}

export async function measureTwoGateways(
  stack: GatewayStack,
  replica: GatewayProcess,
  settings: {
    generator: GeneratorName;
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    /** Every process of the stack: unpinned, so the scheduler spreads the two gateways. */
    pids: readonly number[];
  },
): Promise<TwoGatewaysResult> {
  for (const pid of settings.pids) unpinProcess(pid);
  const gateways = [stack.gateway, replica];
  const loadEach = (durationSeconds: number) =>
    Promise.all(
      gateways.map((gateway) =>
        runLoad(settings.generator, {
          url: `${gateway.url}/graph/v1.0/me`,
          connections: settings.connections / 2,
          durationSeconds,
          headers: stack.requestHeaders,
          core: null,
        }),
      ),
    );
  await loadEach(settings.warmupSeconds);
  const cpuOf = () => gateways.map((gateway) => processCpuMicroseconds(gateway.pid));
  const cpuBefore = cpuOf();
  const commandsBefore = await snapshotCommands(stack.redis.client);
  const perGateway = await loadEach(settings.durationSeconds);
  const commands = commandDelta(commandsBefore, await snapshotCommands(stack.redis.client));
  const cpuAfter = cpuOf();
  const requests = perGateway.reduce((sum, result) => sum + result.requests, 0);
  const cpuSpent = cpuAfter.reduce<number | null>((sum, after, index) => {
    const before = cpuBefore[index];
    return sum === null || after === null || before === null || before === undefined
      ? null
      : sum + after - before;
  }, 0);
  return {
    connectionsPerGateway: settings.connections / 2,
    durationSeconds: settings.durationSeconds,
    perGateway,
    totalRequestsPerSecond: perGateway.reduce((sum, result) => sum + result.requestsPerSecond, 0),
    cpuMicrosecondsPerRequest: cpuSpent === null ? null : round(cpuSpent / requests, 1),
    redisCommandsPerRequest: round(commands.commands / requests, 3),
    flagged: perGateway.some((result) => result.non2xx > 0 || result.errors > 0),
  };
}
