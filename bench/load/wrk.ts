// Runs wrk (Debian's, C, one thread) and reads the JSON line its Lua reporter prints: microsecond latency percentiles.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { roundMs, type LoadRequest, type LoadResult } from './load-result.ts';
import { pinnedCommand } from '../setup/cpu-pinning.ts';

const run = promisify(execFile);
const reporterScript = fileURLToPath(new URL('wrk-report.lua', import.meta.url));
const marker = 'BENCH-JSON ';

interface WrkReport {
  requests: number;
  durationMicroseconds: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMicroseconds: { p50: number; p99: number; max: number };
}

export async function runWrk(request: LoadRequest): Promise<LoadResult> {
  const headerArguments = Object.entries(request.headers).flatMap(([name, value]) => [
    '-H',
    `${name}: ${value}`,
  ]);
  const [command, ...commandArguments] = pinnedCommand(request.core, [
    'wrk',
    '-t1',
    `-c${request.connections}`,
    `-d${request.durationSeconds}s`,
    '--timeout',
    '5s',
    '-s',
    reporterScript,
    ...headerArguments,
    request.url,
  ]);
  const { stdout } = await run(command ?? 'wrk', commandArguments, {
    maxBuffer: 1024 * 1024,
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(marker));
  if (line === undefined) throw new Error(`wrk printed no report:\n${stdout}`);
  const report = JSON.parse(line.slice(marker.length)) as WrkReport;
  const seconds = report.durationMicroseconds / 1e6;
  const { connect, read, write, status, timeout } = report.errors;
  return {
    generator: 'wrk',
    connections: request.connections,
    durationSeconds: Math.round(seconds * 1000) / 1000,
    requests: report.requests,
    requestsPerSecond: Math.round(report.requests / seconds),
    latencyMs: {
      p50: roundMs(report.latencyMicroseconds.p50 / 1000),
      p99: roundMs(report.latencyMicroseconds.p99 / 1000),
      max: roundMs(report.latencyMicroseconds.max / 1000),
    },
    non2xx: status,
    errors: connect + read + write + timeout,
  };
}
