// nginx as a proxy target: started from a temporary prefix on a free loopback port as one process the runner pins and measures; stopped, and its prefix deleted, by the runner.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.ts';
import { untilAnswering } from '../setup/bench-process.ts';
import { nginxConfig } from './nginx-config.ts';

/** nginx is listening within milliseconds; longer means it is not going to. */
const startTimeoutMs = 10_000;
/** A fast shutdown (SIGTERM) takes milliseconds; SIGKILL after this. */
const stopGraceMs = 5_000;

export interface NginxProxy {
  /** The single nginx process (`master_process off`): it accepts, proxies, and is the CPU counted. */
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

async function errorLogTail(prefix: string): Promise<string> {
  const text = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-3).join(' | ') || 'empty';
}

/**
 * Starts nginx in front of `upstreamUrl`; null (and a log line saying why) when it does not answer
 * through its proxy within `startTimeoutMs`: the suite then reports its rows as not measured.
 */
export async function startNginxProxy(
  nginxPath: string,
  upstreamUrl: string,
  log: (line: string) => void,
): Promise<NginxProxy | null> {
  const prefix = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const listenPort = await freePort();
  const configPath = join(prefix, 'nginx.conf');
  await writeFile(configPath, nginxConfig({ prefix, listenPort, upstreamOrigin: upstreamUrl }));
  // `-e`: its own error log from the first line, before the configuration names one (nginx ≥ 1.19.5).
  const child = spawn(
    nginxPath,
    ['-p', `${prefix}/`, '-c', configPath, '-e', `${prefix}/error.log`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  // A runner that dies between start and stop must not leave this nginx behind on its port.
  const killOnExit = (): void => {
    if (running()) child.kill('SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      await exited.catch(() => undefined);
      clearTimeout(timer);
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${listenPort}`;
  // `exited` rejects on a spawn error (ENOENT): either way nginx is not serving.
  const failedEarly = exited.then(
    ([code]) => Promise.reject(new Error(`nginx exited with ${String(code)}`)),
    (error: unknown) => Promise.reject(error instanceof Error ? error : new Error(String(error))),
  );
  failedEarly.catch(() => undefined);
  try {
    // Through the proxy, so a wrong upstream or location fails here and not in the first run.
    await Promise.race([untilAnswering(`${url}/graph/v1.0/me`, startTimeoutMs), failedEarly]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`nginx proxy not measured: ${reason}; its error log: ${await errorLogTail(prefix)}`);
    await stop();
    return null;
  }
  if (child.pid === undefined) throw new Error('nginx answered without a pid');
  return { pid: child.pid, url, stop };
}
