// Starts a private redis-server on a free loopback port for one test file, so tests can stop and restart it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { reservePort } from './free-port.ts';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** A direct client for assertions (what keys exist, their TTLs and values). */
  readonly client: Redis;
  /** Stops the server (the port stays reserved for `start`). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP) without closing anything: connections stay open and the kernel
   * still accepts new ones, but nothing is answered. This is a stalled Redis (a long fork, a
   * swapping host, a network black hole), which a refused connection does not simulate.
   */
  pause(): void;
  /** Thaws a paused server (SIGCONT): it answers what it was sent meanwhile, data intact. */
  resume(): void;
  /** Stops the server and closes the client. */
  close(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const reservation = await reservePort();
  const port = reservation.port;
  let child: ChildProcess | null = null;
  /** The end of what redis-server wrote to stderr, for the error when it does not start. */
  let stderrTail = '';

  const start = async (): Promise<void> => {
    await reservation.release();
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      // Never an inherited descriptor: a server left behind by a crashed test file would hold the
      // test run's output open, and whoever reads it (CI) would wait for it forever.
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    started.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2_000);
    });
    child = started;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      // Refused connections while the server boots are expected: keep them off stderr.
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline || started.exitCode !== null)
          throw new Error(`redis-server did not start on port ${port}: ${stderrTail.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  };

  let paused = false;
  const signal = (name: 'SIGSTOP' | 'SIGCONT'): void => {
    if (child === null || child.exitCode !== null) throw new Error('redis-server is not running');
    child.kill(name);
    paused = name === 'SIGSTOP';
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    // SIGKILL ends even a stopped process, but any other signal waits for SIGCONT: thawing first
    // keeps `stop` and `close` correct whichever way a test left the server.
    if (paused) running.kill('SIGCONT');
    paused = false;
    running.kill('SIGKILL');
    await once(running, 'exit');
  };

  await start();
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  // Tests stop the server on purpose; the client reconnects by itself when it returns.
  client.on('error', () => undefined);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    stop,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async close() {
      client.disconnect();
      await stop();
    },
  };
}
