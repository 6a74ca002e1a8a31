// The process contract (contract §1): `npm start` refuses a bad configuration or a taken port, and exits 0 on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';

const mainPath = new URL('../../src/main.ts', import.meta.url).pathname;

function startMain(environment: Record<string, string>) {
  const child = spawn(process.execPath, [mainPath], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, output: () => ({ stdout, stderr }) };
}

/** A configuration `npm start` accepts: Graph enabled, discovery lazy (nothing listens at the issuer). */
function validEnvironment(port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALLOW_INSECURE_HTTP: 'true',
    SESSION_SECRET: 'process-test-session-secret-0123456789',
    GRAPH_CLIENT_ID: 'id',
    GRAPH_CLIENT_SECRET: 'secret',
    GRAPH_ISSUER: 'http://127.0.0.1:9/tenant/v2.0',
  };
}

describe('the gateway process', () => {
  it('exits non-zero before listening, naming every bad variable and printing no secret', async () => {
    const clientSecret = 'graph-client-secret-that-must-not-print';
    const port = await freePort();
    const { child, output } = startMain({
      PORT: String(port),
      PUBLIC_URL: 'ftp://nowhere',
      SESSION_SECRET: 'too-short-secret',
      GRAPH_CLIENT_ID: 'id',
      GRAPH_CLIENT_SECRET: clientSecret,
      LOG_LEVEL: 'chatty',
    });
    const [code] = (await once(child, 'exit')) as [number];
    const { stdout, stderr } = output();
    expect(code).toBe(1);
    expect(stderr).toContain('PUBLIC_URL');
    expect(stderr).toContain('SESSION_SECRET');
    expect(stderr).toContain('LOG_LEVEL');
    expect(stderr).not.toContain(clientSecret);
    expect(stderr).not.toContain('too-short-secret');
    expect(stdout).toBe('');
  });

  it('starts with a valid configuration, serves /healthz, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, output } = startMain(validEnvironment(port));
    const deadline = Date.now() + 15_000;
    let health: Response | null = null;
    while (health === null && Date.now() < deadline) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      if (health === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(health?.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const { stdout } = output();
    expect(stdout).toContain('gateway listening');
    expect(stdout).toContain('in-memory session store');
    expect(stdout).toContain('ALLOW_INSECURE_HTTP');
    expect(stdout).not.toContain('process-test-session-secret');
  });

  it('exits 1 with a "cannot listen" log line when its port is already taken', async () => {
    const occupant = createServer();
    occupant.listen(0, '127.0.0.1');
    await once(occupant, 'listening');
    const { port } = occupant.address() as { port: number };
    try {
      const { child, output } = startMain(validEnvironment(port));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(1);
      const failure = output()
        .stdout.split('\n')
        .filter((line) => line.includes('cannot listen'))
        .map((line) => JSON.parse(line) as { level: string; error: string });
      expect(failure).toEqual([expect.objectContaining({ level: 'fatal', error: 'EADDRINUSE' })]);
    } finally {
      occupant.close();
    }
  });
});
