// Starts and stops the processes under test: TypeScript entry points under Node's type stripping, each a pid whose CPU and memory the runner reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isListeningMessage } from './child-ready.ts';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** How long a child may take to listen (type stripping and imports included). */
const startTimeoutMs = 20_000;

export interface BenchProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnTypeScript(
  entryPoint: string,
  options: {
    env?: Record<string, string>;
    nodeArguments?: string[];
    /** Arguments of the entry point itself, after its path. */
    scriptArguments?: string[];
    ipc?: boolean;
    /** Receives each stdout line instead of the runner's stdout (the gateway's JSON log lines). */
    onStdoutLine?: (line: string) => void;
  } = {},
): BenchProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArguments ?? []),
      '--experimental-strip-types',
      '--no-warnings',
      entryPoint,
      ...(options.scriptArguments ?? []),
    ],
    {
      cwd: repositoryRoot,
      env: { ...process.env, ...options.env },
      stdio: [
        'ignore',
        options.onStdoutLine === undefined ? 'inherit' : 'pipe',
        'inherit',
        ...(options.ipc === true ? ['ipc' as const] : []),
      ],
    },
  );
  if (child.pid === undefined) throw new Error(`could not start ${entryPoint}`);
  const onStdoutLine = options.onStdoutLine;
  if (child.stdout !== null && onStdoutLine !== undefined)
    createInterface({ input: child.stdout }).on('line', onStdoutLine);
  return { pid: child.pid, child, stop: (graceMs) => stopProcess(child, graceMs) };
}

/** A child that reports its port over IPC (`reportListening`): resolves with its URL. */
export async function startListeningChild(
  entryPoint: string,
  env: Record<string, string> = {},
): Promise<BenchProcess & { readonly url: string }> {
  const started = spawnTypeScript(entryPoint, { env, ipc: true });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entryPoint} did not listen within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    started.child.on('message', (message) => {
      if (!isListeningMessage(message)) return;
      clearTimeout(timer);
      resolve(message.listeningPort);
    });
    started.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entryPoint} exited with ${code} before listening`));
    });
  });
  return { ...started, url: `http://127.0.0.1:${port}` };
}

async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200, at most `timeoutMs`. */
export async function untilAnswering(url: string, timeoutMs = startTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then(
      (response) => response.arrayBuffer().then(() => response.status),
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
