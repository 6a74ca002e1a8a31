// `npm run demo` as a newcomer runs it: no configuration, one line with the URL to open, the page and both providers behind it, exit 0 on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const scripts = (
  JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

describe('npm run demo', () => {
  it('prints the URL to open, serves the demo SPA and the session of both providers there, and exits 0 on SIGTERM', async () => {
    const [command, ...args] = (scripts.demo ?? '').split(' ');
    expect(command).toBe('node');
    // PORT=0 only so that the test never collides with a port in use; the default is 8080.
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (url === undefined && Date.now() < deadline && child.exitCode === null) {
      url = /open (http:\/\/localhost:\d+\/)\n/.exec(output)?.[1];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(url, output).toBeDefined();

    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/demo.js">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    // The Office-dialog pages, the client module they import (same origin: script-src 'self'),
    // and nothing the app folder does not hold.
    for (const [path, type] of [
      ['office-host.html', /^text\/html/],
      ['handoff-complete.js', /^text\/javascript/],
      ['auth/client.js', /^text\/javascript/],
    ] as const) {
      const file = await fetch(`${url!}${path}`);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('content-type'), path).toMatch(type);
      await file.text();
    }
    for (const path of ['settings.ts', '%2e%2e/settings.ts', 'missing.js']) {
      const refused = await fetch(`${url!}${path}`);
      expect(refused.status, path).toBe(404);
      await refused.text();
    }
    // The revoke button's endpoint wants a custom header, which no cross-site form can send.
    const forged = await fetch(`${url!}demo/revoke`, { method: 'POST' });
    expect(forged.status).toBe(400);
    await forged.text();
    const session = (await (await fetch(`${url!}auth/session`)).json()) as Record<string, unknown>;
    expect(session).toEqual({
      authenticated: false,
      user: null,
      providers: {
        graph: { connected: false, login_url: '/auth/login/graph' },
        servicenow: { connected: false, login_url: '/auth/login/servicenow' },
      },
    });

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).toBe(0);
    // The demo's credentials are demo values, and still never printed.
    expect(output).not.toContain('demo-graph-secret');
    expect(output).not.toContain('demo-servicenow-secret');
  });

  it('refuses a DEMO_APP_DIR that names no app folder, in one line naming the variable, and exits 1', async () => {
    const [, ...args] = (scripts.demo ?? '').split(' ');
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: '0', DEMO_APP_DIR: 'examples/nowhere' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(errors).toBe(
      'bff-gateway demo: DEMO_APP_DIR must name a folder (such as examples/spa), not "examples/nowhere"\n',
    );
  });
});
