// The /graph proxy through the whole gateway (contract §4): CSRF, session, bearer injection, header policy, streaming.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { sealData } from 'iron-session';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  sessionSecret,
  startGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
let browser: TestBrowser;
let cookieHeader: string;

beforeAll(async () => {
  harness = await startGatewayHarness({ GRAPH_ROUTES: '* /v1.0/**' });
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  cookieHeader = `bff-session=${browser.cookie('127.0.0.1', 'bff-session') ?? ''}`;
});
afterAll(async () => {
  await harness.close();
});
beforeEach(() => {
  harness.graph.reset();
});

const csrf = { 'x-csrf': '1' };

async function problem(response: Response): Promise<Record<string, string>> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, string>;
}

describe('the /graph proxy', () => {
  it('forwards a GET with the bearer of the session, which Graph accepts', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me?$select=id,displayName`, {
      headers: csrf,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { id: string }).id).toBeTruthy();
    const [received] = harness.graph.requests;
    expect(received?.url).toBe('/v1.0/me?$select=id,displayName');
    expect(received?.headers.authorization).toMatch(/^Bearer .+/);
    const token = received?.headers.authorization?.slice('Bearer '.length) ?? '';
    expect(await harness.openIdProvider.introspect(token)).toMatchObject({ sub: 'alice' });
  });

  it('answers 403 csrf without X-CSRF: 1, before looking at the session, and forwards nothing', async () => {
    const variants: Record<string, string>[] = [{}, { 'x-csrf': '0' }, { 'x-csrf': 'true' }];
    for (const headers of variants) {
      const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers });
      expect(response.status).toBe(403);
      expect((await problem(response)).type).toBe('urn:bff:csrf');
    }
    const anonymous = await fetch(`${harness.url}/graph/v1.0/me`);
    expect(anonymous.status).toBe(403);
    expect(harness.graph.requests).toHaveLength(0);
    expect(harness.logs.some((line) => line.includes('"event":"csrf_rejected"'))).toBe(true);
  });

  it('answers 401 reauth no_session without a cookie, with the login URL', async () => {
    const response = await fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate') ?? '').not.toMatch(/basic/i);
    expect(await problem(response)).toEqual({
      type: 'urn:bff:reauth-required',
      title: 'Re-authentication required',
      status: 401,
      detail: expect.any(String) as string,
      provider: 'graph',
      reason: 'no_session',
      login_url: '/auth/login/graph',
    });
    const auditLine = harness.logs.find(
      (line) => line.includes('"event":"reauth"') && line.includes('"reason":"no_session"'),
    );
    expect(auditLine).toContain('"audit":true');
  });

  it('answers 401 reauth not_connected for a session without that provider', async () => {
    const sessionId = await harness.gateway.dependencies.sessions.commitLogin({
      previous: null,
      provider: 'servicenow',
      tokens: {
        accessToken: 'sn-access',
        refreshToken: null,
        expiresAtMs: Date.now() + 600_000,
        scopes: ['useraccount'],
        subject: null,
      },
      user: null,
    });
    const cookie = await sealData(
      { sid: sessionId, exp: String(Date.now() + 600_000) },
      { password: sessionSecret, ttl: 600 },
    );
    const response = await fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { ...csrf, cookie: `bff-session=${cookie}` },
    });
    expect(response.status).toBe(401);
    expect((await problem(response)).reason).toBe('not_connected');
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('answers 403 route-not-allowed outside GRAPH_ROUTES, before the session is read', async () => {
    const response = await fetch(`${harness.url}/graph/beta/me`, { headers: csrf });
    expect(response.status).toBe(403);
    expect((await problem(response)).type).toBe('urn:bff:route-not-allowed');
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('never lets the upstream see the cookie, the client Authorization, X-CSRF, Origin, forwarding or hop-by-hop headers', async () => {
    const response = await fetch(`${harness.url}/graph/v1.0/echo`, {
      headers: {
        ...csrf,
        cookie: `${cookieHeader}; other=1`,
        authorization: 'Bearer attacker-token',
        origin: 'https://evil.example',
        forwarded: 'for=1.2.3.4',
        'x-forwarded-for': '1.2.3.4',
        'x-forwarded-host': 'evil.example',
        'proxy-authorization': 'Basic eDp5',
        'x-original-url': '/admin',
        'x-http-method-override': 'DELETE',
        'true-client-ip': '1.2.3.4',
        te: 'trailers',
        'x-keep-me': 'yes',
        accept: 'application/json',
        consistencylevel: 'eventual',
      },
    });
    expect(response.status).toBe(200);
    const headers = harness.graph.requests[0]?.headers ?? {};
    for (const name of [
      'cookie',
      'x-csrf',
      'origin',
      'forwarded',
      'x-forwarded-for',
      'x-forwarded-host',
      'proxy-authorization',
      'te',
      'x-original-url',
      'x-http-method-override',
      'true-client-ip',
    ]) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers.authorization).not.toContain('attacker-token');
    expect(headers.host).toBe(new URL(harness.graph.url).host);
    expect(headers['x-keep-me']).toBe('yes');
    expect(headers.consistencylevel).toBe('eventual');
  });

  it('answers HEAD with the upstream status and headers and keeps the connection usable', async () => {
    harness.graph.route('HEAD', '/v1.0/probe', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': '42',
        'x-probe': '1',
      });
      response.end();
    });
    // The server reports a double write on console.error: nothing may land there (logs are JSON lines).
    const consoleError = vi.spyOn(console, 'error');
    // HEAD then GET on one keep-alive connection: both must be answered in order.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(harness.url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 2 && text.includes('"displayName"'))
          socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      const head = `Host: 127.0.0.1\r\nX-CSRF: 1\r\nCookie: ${cookieHeader}\r\n`;
      socket.write(
        `HEAD /graph/v1.0/probe HTTP/1.1\r\n${head}\r\nGET /graph/v1.0/me HTTP/1.1\r\n${head}\r\n`,
      );
      setTimeout(() => socket.end(), 3_000);
    });
    const statusLines = answer.split('\r\n').filter((line) => line.startsWith('HTTP/1.1 '));
    expect(statusLines).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(answer.toLowerCase()).toContain('x-probe: 1');
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });

  it('strips upstream Set-Cookie and WWW-Authenticate from the response', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/set-cookie`, { headers: csrf });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it('returns a redirect untouched and does not follow it', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me/drive/items/abc/content`, {
      headers: csrf,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      'https://download.example.invalid/preauth/abc?tempauth=xyz',
    );
    expect(harness.graph.requests).toHaveLength(1);
  });

  it('streams a 50 MB POST intact, also with Expect: 100-continue, and the bearer arrives', async () => {
    const body = randomBytes(50 * 1024 * 1024);
    const digest = createHash('sha256').update(body).digest('hex');
    const answer = await new Promise<{ status: number; text: string; sawContinue: boolean }>(
      (resolve, reject) => {
        let sawContinue = false;
        const request = httpRequest(`${harness.url}/graph/v1.0/upload`, {
          method: 'POST',
          headers: {
            ...csrf,
            cookie: cookieHeader,
            expect: '100-continue',
            'content-type': 'application/octet-stream',
            'content-length': body.length,
          },
        });
        request.on('continue', () => {
          sawContinue = true;
          request.end(body);
        });
        request.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text, sawContinue }),
          );
        });
        request.on('error', reject);
      },
    );
    expect(answer.sawContinue).toBe(true);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ length: body.length, sha256: digest });
    expect(harness.graph.requests[0]?.headers.authorization).toMatch(/^Bearer /);
  });

  it('survives a client that aborts mid-download and keeps serving', async () => {
    const controller = new AbortController();
    const response = await browser.fetch(
      `${harness.url}/graph/v1.0/download?bytes=${100 * 1024 * 1024}`,
      { headers: csrf, signal: controller.signal },
    );
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: csrf });
    expect(next.status).toBe(200);
  });

  it.each([
    '/graph/v1.0/%2e%2e/%2e%2e/admin',
    '/graph/v1.0/..%2f..%2fadmin',
    '/graph/v1.0/%252e%252e/admin',
    '/graph/..\\admin',
  ])('never forwards the traversal %s', async (path) => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(new URL(harness.url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(Number(text.split(' ')[1])));
      socket.on('error', reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-CSRF: 1\r\nCookie: ${cookieHeader}\r\nConnection: close\r\n\r\n`,
      );
    });
    expect([400, 404]).toContain(status);
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('answers 504 problem+json when the upstream does not send headers in time', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/slow?ms=4000`, {
      headers: csrf,
    });
    expect(response.status).toBe(504);
    expect((await problem(response)).type).toBe('urn:bff:upstream-timeout');
  });
});
