// The container without Docker: replays the Dockerfile's deps and runtime stages as written, runs the image's CMD on a
// read-only tree as its user, and checks docker-compose.yml with docker-compose itself.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { freePort } from '../support/free-port.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { composeConfig, onPath } from './compose-config.ts';
import * as dockerfile from './dockerfile.ts';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => fs.readFileSync(join(root, path), 'utf8');
const stages = dockerfile.parseDockerfile(read('Dockerfile'));
const runtime = dockerfile.stageNamed(stages, 'runtime');
const isIgnored = dockerfile.dockerignoreMatcher(read('.dockerignore'));
/** The node images' `node` user; a numeric USER is taken as it is. */
const knownUsers: Readonly<Record<string, number>> = { node: 1000 };
/** Test, lint and demo tools: none may ship, whatever package.json lists as dev dependencies. */
const devOnlyPackages = [
  'vitest',
  'oidc-provider',
  'typescript',
  'playwright-core',
  'fast-check',
  'eslint',
];

/** Instructions that leave the filesystem alone: recorded by the image, read by the tests below. */
const metadataKeywords = new Set([
  'ARG',
  'CMD',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'STOPSIGNAL',
  'USER',
]);

/** Copies one COPY source the way BuildKit does: a folder's contents, a file by its name into a folder. */
function copySource(
  source: string,
  target: string,
  intoFolder: boolean,
  contextPath: string | null,
): void {
  if (!fs.existsSync(source) || (contextPath !== null && isIgnored(contextPath))) {
    throw new Error(`COPY source missing from the build context: ${contextPath ?? source}`);
  }
  const destination =
    fs.statSync(source).isFile() && intoFolder ? join(target, posix.basename(source)) : target;
  fs.cpSync(source, destination, {
    recursive: true,
    verbatimSymlinks: true,
    // .dockerignore keeps paths out of the context itself, so they cannot be copied from it.
    filter: (path) =>
      contextPath === null || !isIgnored(relative(root, path).replaceAll('\\', '/')),
  });
}

/** Replays a stage's WORKDIR, ENV, COPY and RUN lines into `output/<stage>` (the stage's root filesystem). */
function buildStage(stage: dockerfile.Stage, output: string): void {
  const directory = join(output, stage.name);
  let workdir = '/';
  const environment: Record<string, string> = {};
  fs.mkdirSync(directory, { recursive: true });
  for (const { keyword, text } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, text);
      fs.mkdirSync(join(directory, workdir), { recursive: true });
    } else if (keyword === 'ENV') {
      for (const [name, value] of dockerfile.parseAssignments(text)) environment[name] = value;
    } else if (keyword === 'COPY') {
      const copy = dockerfile.parseCopy(text);
      const target = join(directory, posix.resolve(workdir, copy.destination));
      const intoFolder = copy.destination.endsWith('/') || copy.sources.length > 1;
      for (const source of copy.sources) {
        if (copy.from === null)
          copySource(join(root, source), target, intoFolder, posix.normalize(source));
        else
          copySource(join(output, copy.from, posix.resolve('/', source)), target, intoFolder, null);
      }
    } else if (keyword === 'RUN') {
      const [file = '', ...args] = dockerfile.commandOf(text);
      execFileSync(file, args, {
        cwd: join(directory, workdir),
        env: { ...process.env, ...environment },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } else if (!metadataKeywords.has(keyword)) {
      // ADD, SHELL, VOLUME, …: this replay cannot reproduce them, so the test fails rather than pass silently.
      throw new Error(`the image test cannot replay ${keyword} (stage ${stage.name})`);
    }
  }
}

function filesUnder(directory: string, skip: (name: string) => boolean = () => false): string[] {
  return fs
    .readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((path) => path.replaceAll('\\', '/'))
    .filter((path) => !skip(path));
}

/** Every file and folder loses its write bits (a `chmod -R a-w`); symbolic links have none of their own. */
function setWritable(directory: string, writable: boolean): void {
  for (const path of [directory, ...filesUnder(directory).map((entry) => join(directory, entry))]) {
    const stat = fs.lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    fs.chmodSync(path, writable ? stat.mode | 0o200 : stat.mode & ~0o222);
  }
}

/** A USER name or number as a uid or gid (the node images' `node` user and group are both 1000). */
function numericId(name: string): number {
  const id = /^\d+$/.test(name) ? Number(name) : knownUsers[name];
  if (id === undefined) throw new Error(`unknown USER ${name}`);
  return id;
}

/** Who runs the CMD: the image's USER. Root ignores file modes, so a root test run switches to that uid. */
function runAs(): { uid: number; gid: number } | Record<string, never> {
  const [user = '', group = user] =
    dockerfile.instructionsOf(runtime, 'USER').at(-1)?.split(':') ?? [];
  const ids = { uid: numericId(user), gid: numericId(group) };
  return process.getuid?.() === 0 ? ids : {};
}

/** Replaces the image's `node` with this test's Node, placed where the image's user can run it. */
function nodeFor(output: string): string {
  const binary = join(output, 'bin', 'node');
  fs.mkdirSync(dirname(binary), { recursive: true });
  try {
    fs.linkSync(process.execPath, binary);
  } catch {
    fs.copyFileSync(process.execPath, binary);
  }
  return binary;
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return () => text;
}

async function exitWithin(child: ChildProcess, limitMs: number): Promise<number | string | null> {
  const timer = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), limitMs).unref(),
  );
  const exit = once(child, 'exit').then(
    ([code, signal]) => (code as number | null) ?? (signal as string),
  );
  return Promise.race([exit, timer]);
}

describe('the container image (Dockerfile stages replayed without Docker)', () => {
  let output = '';
  let app = '';
  let redis: TestRedis;

  beforeAll(async () => {
    output = fs.mkdtempSync(join(tmpdir(), 'bff-image-'));
    fs.chmodSync(output, 0o755);
    for (const stage of stages) {
      if (stage.name === 'deps' || stage.name === 'runtime') buildStage(stage, output);
    }
    const runtimeRoot = join(output, 'runtime');
    app = join(runtimeRoot, posix.resolve('/', ...dockerfile.instructionsOf(runtime, 'WORKDIR')));
    setWritable(runtimeRoot, false);
    redis = await startRedis();
  }, 120_000);

  afterAll(async () => {
    await redis?.close();
    if (output !== '' && fs.existsSync(output)) {
      setWritable(output, true);
      fs.rmSync(output, { recursive: true, force: true });
    }
  });

  it('holds package.json, production node_modules, src and dist/client only: no dev dependency, no test, demo or bench file', () => {
    expect(fs.readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package.json', 'src']);
    // The compiled browser client module (/auth/client.js), and nothing else compiled.
    expect(fs.readdirSync(join(app, 'dist'))).toEqual(['client']);
    const devDependencies = Object.keys(
      (JSON.parse(read('package.json')) as { devDependencies: object }).devDependencies,
    );
    for (const name of new Set([...devOnlyPackages, ...devDependencies])) {
      expect(fs.existsSync(join(app, 'node_modules', name)), name).toBe(false);
    }
    expect(fs.existsSync(join(app, 'node_modules', 'hono'))).toBe(true);
    const ownFiles = filesUnder(app, (path) => path.startsWith('node_modules'));
    expect(
      ownFiles.filter((path) => /(^|\/)(test|demo|bench)(\/|$)|\.test\.ts$/.test(path)),
    ).toEqual([]);
    expect(ownFiles.filter((path) => /(^|\/)\.env/.test(path))).toEqual([]);
  });

  it('runs its CMD as a non-root user on a read-only tree, passes its HEALTHCHECK, and exits 0 within 12 s of SIGTERM', async () => {
    const node = nodeFor(output);
    const port = await freePort();
    const environment: Record<string, string> = {
      PATH: `${dirname(node)}:/usr/bin:/bin`,
      ...dockerfile.environmentOf(runtime),
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      PUBLIC_URL: 'https://app.example.com',
      SESSION_SECRET: 'container-test-session-secret-0123456789',
      GRAPH_CLIENT_ID: 'container-test-client',
      GRAPH_CLIENT_SECRET: 'container-test-client-secret',
      // Discovery is lazy: an unreachable issuer does not stop the gateway from starting.
      GRAPH_ISSUER: 'https://127.0.0.1:9/tenant/v2.0',
    };
    expect(environment['NODE_ENV']).toBe('production');
    const options = { cwd: app, env: environment, ...runAs() };
    const run = (command: readonly string[], stdio: 'pipe' | 'ignore' = 'pipe') =>
      spawn(node, command.slice(1), { ...options, stdio: ['ignore', stdio, 'pipe'] });

    // The premise: as this user, nothing in the tree can be written.
    const write = spawnSync(
      node,
      ['-e', "require('node:fs').writeFileSync('probe', 'x')"],
      options,
    );
    expect(write.status).not.toBe(0);

    const before = filesUnder(app);
    const cmd = dockerfile.commandOf(dockerfile.instructionsOf(runtime, 'CMD').at(-1) ?? '');
    expect(cmd[0]).toBe('node');
    const gateway = run(cmd);
    const stdout = collect(gateway);
    const deadline = Date.now() + 15_000;
    while (
      !stdout().includes('gateway listening') &&
      gateway.exitCode === null &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stdout()).toContain('gateway listening');

    const healthcheck = dockerfile.parseHealthcheck(
      dockerfile.instructionsOf(runtime, 'HEALTHCHECK').at(-1) ?? '',
    );
    expect(healthcheck?.[0]).toBe('node');
    expect(await exitWithin(run(healthcheck!, 'ignore'), 10_000)).toBe(0);
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline) {
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ready, 'the gateway reaches Redis').toBe(200);
    // The image carries the compiled client module the gateway serves.
    expect((await fetch(`http://127.0.0.1:${port}/auth/client/index.js`)).status).toBe(200);

    gateway.kill(dockerfile.instructionsOf(runtime, 'STOPSIGNAL').at(-1) as NodeJS.Signals);
    expect(await exitWithin(gateway, 12_000)).toBe(0);
    expect(filesUnder(app)).toEqual(before);
    // Logs are JSON lines on stdout: nothing else to write anywhere.
    for (const line of stdout().trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(stdout()).not.toContain('container-test-session-secret');
  }, 60_000);

  it('is what an orchestrator expects: non-root USER, EXPOSE 8080, STOPSIGNAL SIGTERM, node (not npm) as CMD, node:24-slim bases', () => {
    expect(dockerfile.instructionsOf(runtime, 'USER').at(-1)).toMatch(/^(node|[1-9]\d*)(:|$)/);
    expect(dockerfile.instructionsOf(runtime, 'EXPOSE').join(' ').split(/\s+/)).toContain('8080');
    expect(dockerfile.instructionsOf(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(dockerfile.commandOf(dockerfile.instructionsOf(runtime, 'CMD').at(-1) ?? '')).toEqual([
      'node',
      'src/main.ts',
    ]);
    expect(stages.at(-1)?.name, 'a plain `docker build` builds the runtime').toBe('runtime');
    const names = stages.map((stage) => stage.name);
    for (const stage of stages) expect([...names, 'node:24-slim']).toContain(stage.base);
    expect(dockerfile.instructionsOf(dockerfile.stageNamed(stages, 'deps'), 'RUN')).toEqual([
      'npm ci --omit=dev --ignore-scripts',
    ]);
  });

  it('gives no secret-like ENV or ARG a value in any stage', () => {
    const secretLike = /SECRET|KEY|PASSWORD|PASSWD|TOKEN|CREDENTIAL/i;
    const offending = stages.flatMap((stage) =>
      stage.instructions
        .filter((item) => item.keyword === 'ENV' || item.keyword === 'ARG')
        .flatMap((item) => dockerfile.parseAssignments(item.text))
        .filter(([name, value]) => secretLike.test(name) && value !== '')
        .map(([name]) => `${stage.name}: ${name}`),
    );
    expect(offending).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose, and its gateway runs read-only, without capabilities or privilege escalation, in the demo namespace', () => {
    const compose = onPath('docker-compose');
    if (compose === null) {
      throw new Error(
        'docker-compose is not installed: `apt-get install docker-compose` (bash .ci/run installs it)',
      );
    }
    const { services } = composeConfig(compose);
    const gateway = services.gateway!;
    expect(gateway.read_only).toBe(true);
    expect(gateway.security_opt).toContain('no-new-privileges:true');
    expect(gateway.cap_drop).toEqual(['ALL']);
    expect(gateway.network_mode).toBe('service:demo');
    expect(gateway.build).toMatchObject({ target: 'runtime' });
    expect(services.demo!.build).toMatchObject({ target: 'demo' });
    expect(gateway.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    // The image's ENV under the compose environment is a configuration the gateway accepts.
    const environment = {
      ...dockerfile.environmentOf(runtime),
      ...(gateway.environment as Record<string, string>),
    };
    expect(() => loadConfig(environment)).not.toThrow();
  });
});
