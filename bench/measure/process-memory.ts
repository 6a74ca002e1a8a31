// Samples a process's resident set (VmRSS in /proc/<pid>/status) at a fixed interval, for its peak during a scenario.
import { readFileSync } from 'node:fs';

/** 50 ms: a 50 MB transfer over loopback lasts long enough for several samples. */
const sampleIntervalMs = 50;

export function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kilobytes === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kilobytes) / 1024;
}

export interface MemorySampling {
  /** Stops sampling: the resident set when sampling began, its peak, and at the end, in MB. */
  stop(): { readonly startMb: number; readonly peakMb: number; readonly endMb: number };
}

export function sampleResidentMemory(pid: number): MemorySampling {
  const startMb = residentMegabytes(pid);
  let peakMb = startMb;
  const timer = setInterval(() => {
    peakMb = Math.max(peakMb, residentMegabytes(pid));
  }, sampleIntervalMs);
  return {
    stop() {
      clearInterval(timer);
      const endMb = residentMegabytes(pid);
      return { startMb, peakMb: Math.max(peakMb, endMb), endMb };
    },
  };
}
