// Streaming memory: peak resident-set growth of a proxy process during 4 parallel 50 MB downloads, 4 parallel 50 MB uploads, and 4 slow readers that abort.
import {
  download,
  slowReadThenAbort,
  upload,
  type TransferOutcome,
} from '../load/streaming-clients.ts';
import { sampleResidentMemory } from '../measure/process-memory.ts';
import { round } from '../measure/statistics.ts';

const transferBytes = 50 * 1024 * 1024;
const parallelTransfers = 4;
/** Slow readers: 1 MB/s for 3 s, far below what the upstream sends: the proxy must hold back, not buffer. */
const slowReader = { bytesPerSecond: 1024 * 1024, abortAfterMs: 3_000 };

export interface StreamingPhase {
  readonly phase: 'downloads' | 'uploads' | 'slow readers';
  readonly startMb: number;
  readonly peakGrowthMb: number;
  /** Resident set at the end minus at the start: what was not given back (yet). */
  readonly endGrowthMb: number;
  readonly seconds: number;
  /** Bytes moved per second over all transfers, in MB/s. */
  readonly megabytesPerSecond: number;
  readonly failures: number;
}

export interface StreamingTarget {
  readonly name: string;
  readonly pid: number;
  /** Base URL up to the mount: `${origin}/graph/v1.0/bench`. */
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
}

async function phase(
  name: StreamingPhase['phase'],
  pid: number,
  transfers: () => Promise<TransferOutcome>[],
  isComplete: (outcome: TransferOutcome) => boolean,
): Promise<StreamingPhase> {
  const sampling = sampleResidentMemory(pid);
  const started = performance.now();
  const outcomes = await Promise.all(transfers());
  const seconds = (performance.now() - started) / 1000;
  const memory = sampling.stop();
  const bytes = outcomes.reduce((sum, outcome) => sum + outcome.bytes, 0);
  return {
    phase: name,
    startMb: round(memory.startMb, 1),
    peakGrowthMb: round(memory.peakMb - memory.startMb, 1),
    endGrowthMb: round(memory.endMb - memory.startMb, 1),
    seconds: round(seconds, 2),
    megabytesPerSecond: round(bytes / 1024 / 1024 / seconds, 0),
    failures: outcomes.filter((outcome) => !isComplete(outcome)).length,
  };
}

export async function measureStreamingMemory(target: StreamingTarget): Promise<StreamingPhase[]> {
  const headers = { ...target.headers };
  const times = <T>(make: () => Promise<T>): Promise<T>[] =>
    Array.from({ length: parallelTransfers }, make);
  const complete = (outcome: TransferOutcome) =>
    outcome.status === 200 && outcome.bytes === transferBytes;
  return [
    await phase(
      'downloads',
      target.pid,
      () => times(() => download(`${target.baseUrl}/stream/${transferBytes}`, headers)),
      complete,
    ),
    await phase(
      'uploads',
      target.pid,
      () => times(() => upload(`${target.baseUrl}/upload`, headers, transferBytes)),
      complete,
    ),
    await phase(
      'slow readers',
      target.pid,
      () =>
        times(() =>
          slowReadThenAbort(`${target.baseUrl}/stream/${transferBytes}`, headers, slowReader),
        ),
      (outcome) => outcome.status === 200 && outcome.bytes > 0,
    ),
  ];
}
