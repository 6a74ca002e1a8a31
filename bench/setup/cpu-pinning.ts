// Pins processes to cores with taskset (util-linux), when it exists and the machine has two cores or more: the server under test on one, everything else on the other.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Every core of the machine, counted once at start: `availableParallelism()` follows this process's
 * own affinity, which the runner narrows to the helper core.
 */
export const machineCores = cpus().length;

/** The core of the server under test, and the core of the load generator, upstream and Redis. */
export const pinning: { readonly serverCore: number; readonly helperCore: number } | null =
  machineCores >= 2 && hasTaskset() ? { serverCore: 1, helperCore: 0 } : null;

/** Moves a running process, every thread of it, to `core` (threads created later inherit it). */
export function pinProcess(pid: number, core: number | null): void {
  if (pinning === null || core === null) return;
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(core), String(pid)], {
    stdio: 'ignore',
  });
}

/** Lets a process run on every core again. */
export function unpinProcess(pid: number): void {
  if (pinning === null) return;
  const allCores = `0-${machineCores - 1}`;
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', allCores, String(pid)], {
    stdio: 'ignore',
  });
}

/** `command` prefixed with `taskset -c core` when pinning is available. */
export function pinnedCommand(core: number | null, command: readonly string[]): string[] {
  if (pinning === null || core === null) return [...command];
  return ['taskset', '--cpu-list', String(core), ...command];
}
