// Runs a command with what a fresh machine lacks: Node 24 (from the npm registry) when this Node is older than 22.13, and, with --test-tools, the Debian packages the tests start.
// Plain JavaScript on purpose: it must run on the old Node it replaces.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

const minimum = [22, 13];
const testPackages = [
  // [executable that proves it is installed, Debian package]
  ['redis-server', 'redis-server'],
  ['chromium', 'chromium'],
  ['docker-compose', 'docker-compose'],
];

function isRecent(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

function onPath(command) {
  return (process.env.PATH || '')
    .split(delimiter)
    .some((folder) => folder !== '' && existsSync(join(folder, command)));
}

function fail(message) {
  process.stderr.write(`bff-gateway: ${message}\n`);
  process.exit(1);
}

/** This Node when recent enough, else Node 24 in the user's cache (the same place .ci/run uses). */
function chooseNode() {
  if (isRecent(process.versions.node)) return process.execPath;
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bff-node');
  const cached = join(cache, 'node_modules', '.bin', 'node');
  if (!existsSync(cached)) {
    process.stderr.write(
      `bff-gateway: Node ${process.versions.node} is older than ${minimum.join('.')}; fetching Node 24 from the npm registry into ${cache}\n`,
    );
    const install = spawnSync(
      'npm',
      ['install', '--prefix', cache, '--no-save', '--no-audit', '--no-fund', 'node@24'],
      { stdio: 'inherit' },
    );
    if (install.status !== 0 || !existsSync(cached))
      fail('could not fetch Node 24 (npm install node@24 failed)');
  }
  return cached;
}

/** The tests start redis-server, Chromium and docker-compose themselves: install what is missing, or say how. */
function provideTestPackages() {
  const missing = testPackages.filter(([command]) => !onPath(command)).map(([, name]) => name);
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall)
    fail(`the tests need Debian's ${missing.join(', ')}: run \`${command}\` as root`);
  process.stderr.write(`bff-gateway: installing what the tests start: ${command}\n`);
  const environment = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...missing],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: environment });
    if (result.status !== 0) fail(`\`${command}\` failed`);
  }
}

const separator = process.argv.indexOf('--');
if (separator === -1 || separator === process.argv.length - 1)
  fail('usage: node scripts/provisioned.mjs [--test-tools] -- <command> [arguments…]');
const options = process.argv.slice(2, separator);
const [command, ...args] = process.argv.slice(separator + 1);
if (options.includes('--test-tools')) provideTestPackages();
const node = chooseNode();
// `node` itself, and anything whose shebang asks PATH for node (npm, vitest, tsc), get the chosen one.
const child = spawn(command === 'node' ? node : command, args, {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH || ''}` },
});
// A terminal's Ctrl-C reaches the whole process group; SIGTERM (from npm or an orchestrator) only
// this process: pass it on, and leave with the command's own status.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) =>
  process.exit(code === null ? (signal === 'SIGINT' ? 130 : 143) : code),
);
child.on('error', (error) => fail(`cannot run ${command}: ${error.message}`));
