// APP_UPSTREAM_URL (sidecar mode) through the whole gateway: what the app server receives and returns, and how its failures are answered.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isGatewayCookieName } from '../../src/gateway/app-upstream.ts';
import { createCookieSealer } from '../../src/session/cookie-sealer.ts';
import { createHandoffCookie } from '../../src/session/handoff-cookie.ts';
import { createLoginCookie } from '../../src/session/login-cookie.ts';
import { createSessionCookie } from '../../src/session/session-cookie.ts';
import type { RecordingUpstream } from '../proxy/recording-upstream.ts';
import {
  receivedText,
  sendRawRequest,
  startVariant,
  storeCommandsDuring,
  useAppUpstreamStack,
} from '../support/app-upstream-stack.ts';
import type { GatewayHarness } from '../support/gateway-harness.ts';
import { delay } from '../proxy/streams.ts';
import { sendRaw } from '../support/raw-http.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { closedOrigin } from '../support/loopback-server.ts';

let upstream: RecordingUpstream;
let harness: GatewayHarness;
let browser: TestBrowser;
let accessToken: string;
let sessionCookieValue: string;
useAppUpstreamStack((stack) => {
  ({ upstream, harness, browser, accessToken, sessionCookieValue } = stack);
});

describe('APP_UPSTREAM_URL: what the app server receives', () => {
  it('gets the path and query, its own cookie, the gateway-written X-Forwarded-*, and no credential', async () => {
    const visitor = new TestBrowser();
    visitor.setCookie('127.0.0.1', 'app_pref', 'dark');
    visitor.setCookie('127.0.0.1', 'bff-session', sessionCookieValue);
    visitor.setCookie('127.0.0.1', '__Host-bff-session', 'forged');
    visitor.setCookie('127.0.0.1', 'bff-login-AAAAAAAAAAAAAAAA', 'pending');
    visitor.setCookie('127.0.0.1', '__Host-bff-login-BBBBBBBBBBBBBBBB', 'pending');
    visitor.setCookie('127.0.0.1', 'bff-handoff', 'handoff');
    visitor.setCookie('127.0.0.1', '__Host-bff-handoff', 'handoff');
    const response = await visitor.fetch(`${harness.url}/reports/2024?view=full`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        forwarded: 'for=203.0.113.9;host=evil.example',
        'x-real-ip': '203.0.113.9',
        'x-app-header': 'kept',
      },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { url: string }).url).toBe('/reports/2024?view=full');
    const received = upstream.requests[0];
    expect(received?.method).toBe('GET');
    expect(received?.headers.cookie).toBe('app_pref=dark');
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(received?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(received?.headers['x-forwarded-host']).toBe(new URL(harness.url).host);
    expect(received?.headers['x-forwarded-proto']).toBe('http');
    expect(received?.headers.forwarded).toBeUndefined();
    expect(received?.headers['x-real-ip']).toBeUndefined();
    expect(received?.headers['x-app-header']).toBe('kept');
    expect(receivedText(received)).not.toContain(accessToken);
    expect(receivedText(received)).not.toContain(sessionCookieValue);
    expect(receivedText(received)).not.toMatch(/bff-|forged|pending/i);
  });

  it("a logged-in browser's request to / carries no token and no session cookie upstream", async () => {
    const response = await browser.fetch(`${harness.url}/`);
    expect(response.status).toBe(200);
    await response.text();
    const received = upstream.requests[0];
    expect(received?.url).toBe('/');
    // The jar also holds the stand-in OpenID provider's cookies (same host, another port): they pass.
    expect(browser.cookieValues('127.0.0.1')).toContain(sessionCookieValue);
    expect(received?.headers.cookie ?? '').not.toMatch(/bff-/i);
    expect(received?.headers.authorization).toBeUndefined();
    expect(receivedText(received)).not.toContain(accessToken);
    expect(receivedText(received)).not.toContain(sessionCookieValue);
  });

  it('reads no session for page requests: no store command, where /auth/session sends some', async () => {
    const forPages = await storeCommandsDuring(harness.redis.client, async () => {
      for (const path of ['/', '/settings', '/assets/app.js']) {
        await (await browser.fetch(`${harness.url}${path}`)).text();
      }
      await (await browser.fetch(`${harness.url}/form`, { method: 'POST', body: 'a=1' })).text();
    });
    expect(forPages).toEqual([]);
    const forSession = await storeCommandsDuring(harness.redis.client, async () => {
      await (await browser.fetch(`${harness.url}/auth/session`)).text();
    });
    expect(forSession.length).toBeGreaterThan(0);
  });

  it('forwards every method but TRACE, without asking for X-CSRF', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const response = await browser.fetch(`${harness.url}/api/items`, { method, body: 'x=1' });
      expect(response.status).toBe(200);
      await response.text();
    }
    expect(upstream.requests.map((request) => request.method)).toEqual([
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
    ]);
    const trace = await sendRawRequest(harness.url, 'TRACE', '/page');
    expect(trace.statuses[0]).toBe(405);
    expect(upstream.requests).toHaveLength(5);
    const head = await fetch(`${harness.url}/page`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(upstream.requests[5]?.method).toBe('HEAD');
  });
});

describe('APP_UPSTREAM_URL: what the app server receives, sent as raw bytes', () => {
  /** A raw GET /page with `headLines` (and `body`), on a connection that closes after it. */
  function rawPage(headLines: string[], body = '') {
    const { port, host } = new URL(harness.url);
    return sendRaw(
      Number(port),
      [`GET /page HTTP/1.1`, `Host: ${host}`, ...headLines, '', body].join('\r\n'),
    );
  }

  it('gets no proxy credential, no client forwarding header, no Connection-named header, no Expect, and no Cookie when only gateway cookies were sent', async () => {
    const exchange = await rawPage([
      'Connection: close, X-Hop',
      'X-Hop: hop-only',
      'Proxy-Authorization: Basic cHJveHk6c2VjcmV0',
      'X-Forwarded-Port: 8443',
      'X-Forwarded-Prefix: /spoofed',
      'True-Client-IP: 203.0.113.9',
      'Expect: 100-continue',
      'Cookie: bff-session=sealed-value; __Host-bff-login-AAAAAAAAAAAAAAAA=pending-value',
    ]);
    expect(exchange.statuses.at(-1)).toBe(200);
    const received = upstream.requests[0];
    expect(received?.headers.cookie).toBeUndefined();
    expect(received?.headers.expect).toBeUndefined();
    expect(received?.headers['proxy-authorization']).toBeUndefined();
    expect(receivedText(received)).not.toMatch(
      /hop-only|cHJveHk6c2VjcmV0|8443|spoofed|203\.0\.113\.9|sealed-value|pending-value/,
    );
  });

  it('keeps Content-Length even when Connection names it, so a body is never read as a second request (smuggling)', async () => {
    const hidden = `GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const exchange = await rawPage(
      [`Content-Length: ${hidden.length}`, 'Connection: close, Content-Length'],
      hidden,
    );
    expect(exchange.statuses[0]).toBe(200);
    await delay(100);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/page']);
    expect(upstream.requests[0]?.headers['content-length']).toBe(String(hidden.length));
  });
});

describe('APP_UPSTREAM_URL: what the browser receives', () => {
  it.each([false, true])(
    'the names withheld from the app are the ones the gateway issues (secure: %s)',
    (secure) => {
      const sealer = createCookieSealer(['a-session-secret-of-at-least-32-characters']);
      const now = Date.now;
      const session = createSessionCookie({ sealer, secure, absoluteTimeoutSeconds: 60, now });
      const login = createLoginCookie({ sealer, secure, now });
      expect(isGatewayCookieName(session.name)).toBe(true);
      expect(isGatewayCookieName(login.name('a-state-of-the-shape-the-gateway-issues'))).toBe(true);
      expect(isGatewayCookieName(createHandoffCookie({ sealer, secure, now }).name)).toBe(true);
      expect(isGatewayCookieName('bff-handoffs')).toBe(false);
      expect(isGatewayCookieName('app_session')).toBe(false);
      expect(isGatewayCookieName('bff-sessions')).toBe(false);
    },
  );

  it("drops a Set-Cookie naming a gateway cookie in any spelling, and passes the app's own", async () => {
    upstream.respondWith((_request, response) => {
      response.setHeader('set-cookie', [
        'bff-session=fixated; Path=/; HttpOnly',
        '__Host-bff-session=fixated; Path=/; Secure',
        '__HOST-BFF-SESSION=fixated; Path=/; Secure',
        ' bff-session =spaced; Path=/',
        'bff-login-abcdefghijklmnop=planted; Path=/',
        'bff-handoff=planted; Path=/; HttpOnly',
        '__Host-bff-handoff=planted; Path=/; Secure',
        'app_theme=dark; Path=/; SameSite=Lax',
      ]);
      response.end('ok');
    });
    const response = await browser.fetch(`${harness.url}/settings`);
    expect(await response.text()).toBe('ok');
    expect(response.headers.getSetCookie()).toEqual(['app_theme=dark; Path=/; SameSite=Lax']);
    upstream.respondWith((_request, answer) => {
      answer.setHeader('set-cookie', ['bff-session=fixated; Path=/; HttpOnly']);
      answer.end('only');
    });
    const onlyGateway = await fetch(`${harness.url}/settings`);
    expect(await onlyGateway.text()).toBe('only');
    expect(onlyGateway.headers.getSetCookie()).toEqual([]);
    expect(browser.cookie('127.0.0.1', 'bff-session')).toBe(sessionCookieValue);
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      authenticated: boolean;
    };
    expect(session.authenticated).toBe(true);
  });

  it("keeps the app's own security headers, adds no /auth policy, and relays redirects untouched", async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(302, {
        location: 'https://idp.example/elsewhere?x=1',
        'content-security-policy': "default-src 'self'",
        'x-frame-options': 'SAMEORIGIN',
        'alt-svc': 'h3=":443"',
        'proxy-authenticate': 'Basic realm="app-side proxy"',
        connection: 'X-App-Hop',
        'x-app-hop': 'hop-only',
      });
      response.end();
    });
    const response = await browser.fetch(`${harness.url}/old-page`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://idp.example/elsewhere?x=1');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('cross-origin-resource-policy')).toBeNull();
    expect(response.headers.get('alt-svc')).toBeNull();
    expect(response.headers.get('proxy-authenticate')).toBeNull();
    expect(response.headers.get('x-app-hop')).toBeNull();
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('with an https PUBLIC_URL: HSTS on app pages (the app may send its own), __Host- cookies dropped, proto https', async () => {
    const secure = await startVariant(harness, {
      publicOrigin: 'https://app.example.test',
      secureCookies: true,
    });
    try {
      const page = await fetch(`${secure.url}/page`, {
        headers: { cookie: '__Host-bff-session=sealed; bff-session=old; app=1' },
      });
      await page.text();
      expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000');
      const received = upstream.requests[0];
      expect(received?.headers.cookie).toBe('app=1');
      expect(received?.headers['x-forwarded-proto']).toBe('https');
      expect(received?.headers['x-forwarded-host']).toBe('app.example.test');
      upstream.respondWith((_request, response) => {
        response.writeHead(200, { 'strict-transport-security': 'max-age=63072000; preload' });
        response.end();
      });
      const own = await fetch(`${secure.url}/page`);
      expect(own.headers.get('strict-transport-security')).toBe('max-age=63072000; preload');
    } finally {
      await secure.stop();
    }
  });
});

describe('APP_UPSTREAM_URL: where requests go and how long they may take', () => {
  it('prefixes the path of APP_UPSTREAM_URL to every request path', async () => {
    const prefixed = await startVariant(harness, {
      appUpstreamUrl: new URL(`${upstream.origin}/spa/`),
    });
    try {
      const response = await fetch(`${prefixed.url}/reports/1?view=full`);
      expect(((await response.json()) as { url: string }).url).toBe('/spa/reports/1?view=full');
    } finally {
      await prefixed.stop();
    }
  });

  it('does not cut an upload that takes longer than UPSTREAM_TIMEOUT_S while it keeps arriving', async () => {
    const { port } = new URL(harness.url);
    const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/upload' });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    // 2.8 s in all, against UPSTREAM_TIMEOUT_S=2: the app server answers once it has the whole body.
    for (let part = 0; part < 8; part += 1) {
      request.write(Buffer.alloc(1024, part));
      await delay(350);
    }
    request.end();
    const { status, text } = await answered;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ length: 8 * 1024, complete: true });
  });

  it('abandons the app server request when the browser goes away before the answer', async () => {
    upstream.respondWith(() => undefined);
    const controller = new AbortController();
    const page = fetch(`${harness.url}/slow-page`, { signal: controller.signal }).catch(
      () => undefined,
    );
    const received = await upstream.nextRequest();
    controller.abort();
    await page;
    const closed = await Promise.race([
      received.responseClosedEarly,
      delay(1_000).then(() => false),
    ]);
    expect(closed).toBe(true);
  });
});

describe('APP_UPSTREAM_URL: failures', () => {
  it('answers 502 upstream-unreachable when nothing listens there', async () => {
    const dead = await startVariant(harness, {
      appUpstreamUrl: new URL(closedOrigin),
    });
    try {
      const response = await fetch(`${dead.url}/`);
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ type: 'urn:bff:upstream-unreachable' });
    } finally {
      await dead.stop();
    }
  });

  it('answers 502 when the app server hangs up before answering', async () => {
    upstream.respondWith((request) => void request.socket.destroy());
    const response = await fetch(`${harness.url}/crash`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:upstream-unreachable' });
  });

  it('closes the connection when the app server breaks off mid-body, never a short 200', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('partial');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const response = await fetch(`${harness.url}/broken`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('answers 504 upstream-timeout when no headers come within UPSTREAM_TIMEOUT_S', async () => {
    upstream.respondWith(() => undefined);
    const startedAt = Date.now();
    const response = await fetch(`${harness.url}/slow`);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:upstream-timeout' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900);
  });
});
