// Runs the steadiness probe on the server core while the machine is otherwise idle: a virtual machine whose cores are taken away for tens of milliseconds shows it here, and in every p99.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinnedCommand, pinning } from '../setup/cpu-pinning.ts';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('cpu-steadiness.ts', import.meta.url));

export interface Steadiness {
  readonly seconds: number;
  /** Share of wall time a busy thread did not run (0: a dedicated core). */
  readonly lostShare: number;
  readonly stalls: number;
  readonly longestStallMs: number;
}

export async function measureSteadiness(seconds: number): Promise<Steadiness> {
  const [command, ...args] = pinnedCommand(pinning?.serverCore ?? null, [
    process.execPath,
    '--experimental-strip-types',
    '--no-warnings',
    probe,
    '--seconds',
    String(seconds),
  ]);
  const { stdout } = await run(command ?? process.execPath, args);
  return JSON.parse(stdout) as Steadiness;
}
