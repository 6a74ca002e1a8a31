// nginx for the suite's nginx proxy target (optional): found on PATH or in the sbin folders, else installed with apt-get (Debian package nginx), and the service that package starts stopped again.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { aptGetInstall, canInstall } from './provide-tools.ts';

export interface NginxBinary {
  readonly path: string;
  /** As `nginx -v` names it: `nginx/1.22.1`. */
  readonly version: string;
}

/** Debian installs nginx in /usr/sbin, which a user's PATH often lacks. */
const sbinFolders = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
/** How long the package's service may take to quit gracefully before it is killed. */
const serviceQuitTimeoutMs = 5_000;

function findNginx(): NginxBinary | null {
  const pathFolders = (process.env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  for (const folder of [...pathFolders, ...sbinFolders]) {
    const path = join(folder, 'nginx');
    if (!existsSync(path)) continue;
    // nginx prints its version on stderr.
    const answer = spawnSync(path, ['-v'], { encoding: 'utf8' });
    const version = /nginx\/\S+/.exec(answer.stderr ?? '')?.[0];
    if (answer.status === 0 && version !== undefined) return { path, version };
  }
  return null;
}

/** Running processes named nginx, each with its parent: /proc/<pid>/stat. */
function nginxProcesses(): Map<number, number> {
  const found = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return found;
  }
  for (const entry of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // It exited meanwhile.
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'nginx') continue;
    // After the name: state, then the parent pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    found.set(Number(entry), parent);
  }
  return found;
}

/**
 * Debian's postinst starts an nginx service on port 80 where it can (invoke-rc.d). The suite does
 * not use it and must leave none behind: the nginx processes that appeared during the install are
 * its, and only those are stopped — their master (whose parent is no nginx of them) gets SIGQUIT,
 * which makes its workers finish and exit; SIGKILL for any still there after the timeout.
 */
async function stopWhatTheInstallStarted(
  before: ReadonlySet<number>,
  log: (line: string) => void,
): Promise<void> {
  const started = [...nginxProcesses()].filter(([pid]) => !before.has(pid));
  if (started.length === 0) return;
  const startedPids = new Set(started.map(([pid]) => pid));
  const masters = started.filter(([, parent]) => !startedPids.has(parent)).map(([pid]) => pid);
  log(`stopping the nginx service the package started (pids ${[...startedPids].join(', ')})`);
  const signal = (pid: number, name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  for (const pid of masters) signal(pid, 'SIGQUIT');
  const deadline = Date.now() + serviceQuitTimeoutMs;
  const remaining = (): number[] =>
    [...nginxProcesses().keys()].filter((pid) => startedPids.has(pid));
  while (remaining().length > 0 && Date.now() < deadline) await sleep(50);
  for (const pid of remaining()) signal(pid, 'SIGKILL');
}

/** nginx when installed or installable; null (and a log line) otherwise: its rows then say not measured. */
export async function provideNginx(log: (line: string) => void): Promise<NginxBinary | null> {
  const installed = findNginx();
  if (installed !== null) return installed;
  if (!canInstall()) {
    log('nginx is not installed (apt-get install -y nginx as root): its rows are not measured');
    return null;
  }
  log('installing what the suite compares with: apt-get install -y nginx');
  const before = new Set(nginxProcesses().keys());
  const succeeded = aptGetInstall(['nginx']);
  await stopWhatTheInstallStarted(before, log);
  const provided = findNginx();
  if (provided === null)
    log(
      `apt-get ${succeeded ? 'installed no usable nginx' : 'failed'}: the nginx rows are not measured`,
    );
  return provided;
}
