// docker-compose.yml's demo without Docker: the demo and gateway services' commands and environments, run as processes, driven in Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeConfig, onPath } from '../deploy/compose-config.ts';
import * as dockerfile from '../deploy/dockerfile.ts';
import { launchChromium } from '../support/chromium.ts';
import { freePort } from '../support/free-port.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { connectServiceNowInPopup, press, signInWithMicrosoft } from './demo-steps.ts';

const root = new URL('../../', import.meta.url).pathname;
const stages = dockerfile.parseDockerfile(readFileSync(`${root}Dockerfile`, 'utf8'));

/** The compose file's fixed ports; each becomes a free loopback port here. */
const composePorts = ['8080', '9001', '9002', '9003', '9004', '9090'];

let redis: TestRedis;
let browser: Browser;
const processes: { child: ChildProcess; output: () => string }[] = [];

/** Starts a stage's CMD with `environment`; resolves once its output contains `ready`. */
async function startService(stageName: string, environment: Record<string, string>, ready: string) {
  const [command, ...args] = dockerfile.commandOf(
    dockerfile.instructionsOf(dockerfile.stageNamed(stages, stageName), 'CMD').at(-1) ?? '',
  );
  expect(command).toBe('node');
  let output = '';
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push({ child, output: () => output });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${stageName} did not start: ${output}`)),
      20_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(ready)) resolve(void clearTimeout(timer));
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`${stageName} exited ${code}: ${output}`)));
  });
  return child;
}

describe("docker-compose.yml's demo, replayed as processes", () => {
  let publicUrl = '';
  let metricsUrl = '';

  beforeAll(async () => {
    const compose = onPath('docker-compose');
    if (compose === null)
      throw new Error('docker-compose is not installed (bash .ci/run installs it)');
    const { services } = composeConfig(compose);
    const ports = new Map<string, string>();
    for (const port of composePorts) ports.set(port, String(await freePort()));
    // Loopback only, free ports only: the compose values otherwise as written.
    const adapt = (environment: Record<string, string>): Record<string, string> =>
      Object.fromEntries(
        Object.entries(environment).map(([name, value]) => [
          name,
          value.replace(/(?<=^|:)(\d{4})(?=$|\/)/g, (port) => ports.get(port) ?? port),
        ]),
      );
    const demoEnvironment = adapt(services.demo!.environment as Record<string, string>);
    const gatewayEnvironment = adapt({
      ...dockerfile.environmentOf(dockerfile.stageNamed(stages, 'runtime')),
      ...(services.gateway!.environment as Record<string, string>),
    });
    redis = await startRedis();
    publicUrl = `${gatewayEnvironment.PUBLIC_URL}/`;
    metricsUrl = `http://127.0.0.1:${gatewayEnvironment.METRICS_PORT}/metrics`;
    await startService(
      'demo',
      { ...demoEnvironment, DEMO_HOST: '127.0.0.1' },
      'stand-ins are running',
    );
    await startService(
      'runtime',
      { ...gatewayEnvironment, HOST: '127.0.0.1', REDIS_URL: redis.url },
      'metrics listening',
    );
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const { child } of processes) if (child.exitCode === null) child.kill('SIGKILL');
    await redis?.close();
  });

  it('prints the gateway variables from the stand-ins, never their secrets', () => {
    const standIns = processes[0]?.output() ?? '';
    expect(standIns).toContain('GRAPH_CLIENT_ID=demo-graph-client');
    expect(standIns).not.toContain('not-for-production');
  });

  it('signs in, calls Graph and ServiceNow through the gateway container, counts it in metrics, and both services stop on SIGTERM', async () => {
    const page = await browser.newPage();
    await page.goto(publicUrl);
    await signInWithMicrosoft(page, publicUrl, 'carol');
    expect(JSON.parse(await press(page, 'graph-me', /→ 200$/))).toMatchObject({
      displayName: 'Carol',
    });
    await connectServiceNowInPopup(page);
    expect(JSON.parse(await press(page, 'servicenow-incidents', /→ 200$/))).toHaveProperty(
      'result',
    );
    await page.close();

    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(
      /bff_http_requests_total\{route_group="graph",status_class="2xx"\} 1\b/,
    );
    expect(metrics).toMatch(
      /bff_http_requests_total\{route_group="servicenow",status_class="2xx"\} 1\b/,
    );

    for (const { child, output } of processes) {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, output()).toBe(0);
    }
  }, 60_000);
});
