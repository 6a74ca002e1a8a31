// What the suite runs besides Node: redis-server (required) and wrk (preferred; autocannon from npm otherwise), installed with apt-get when missing and running as root, as scripts/provisioned.mjs does for the tests (nginx, optional: provide-nginx.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((folder) => folder !== '' && existsSync(join(folder, command)));
}

export function canInstall(): boolean {
  return process.getuid?.() === 0 && onPath('apt-get');
}

export function aptGetInstall(packages: readonly string[]): boolean {
  // needrestart (Debian's apt hook) would otherwise offer to restart the machine's services mid-suite.
  const environment = {
    ...process.env,
    DEBIAN_FRONTEND: 'noninteractive',
    NEEDRESTART_SUSPEND: '1',
  };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: environment });
    if (result.status !== 0) return false;
  }
  return true;
}

/** Installs what is missing when it can; throws only when redis-server is still missing. */
export function provideTools(log: (line: string) => void): void {
  const missing = ['redis-server', 'wrk'].filter((command) => !onPath(command));
  if (missing.length === 0) return;
  if (canInstall()) {
    log(`installing what the suite runs: apt-get install -y ${missing.join(' ')}`);
    if (!aptGetInstall(missing)) log('apt-get failed; continuing with what is installed');
  }
  if (!onPath('redis-server'))
    throw new Error(
      "the suite needs Debian's redis-server: run `apt-get install -y redis-server` as root",
    );
  if (!onPath('wrk')) log('wrk is not installed: autocannon (npm) generates the load instead');
}
