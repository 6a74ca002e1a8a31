// Proves the test browser keeps cookies like a browser: Path, deletion by Max-Age or Expires, redirects on request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackServer } from './loopback-server.ts';
import { TestBrowser } from './test-browser.ts';

describe('the test browser keeps cookies like a browser', () => {
  let origin: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const loopback = await startLoopbackServer();
    ({ origin, close } = loopback);
    loopback.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const headers: Record<string, string | string[]> = {
        'x-cookie': request.headers.cookie ?? '',
      };
      if (url.pathname === '/set')
        headers['set-cookie'] = ['root=1; Path=/', 'scoped=2; Path=/app', 'gone=3; Path=/'];
      if (url.pathname === '/delete')
        headers['set-cookie'] = [
          'root=; Max-Age=0; Path=/',
          'gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/',
        ];
      if (url.pathname === '/hop') headers.location = '/app/end';
      response.writeHead(url.pathname === '/hop' ? 302 : 200, headers).end();
    });
  });
  afterAll(() => close());

  it('honours Path, deletes on Max-Age=0 or a past Expires, and follows redirects on request', async () => {
    const browser = new TestBrowser();
    await browser.fetch(`${origin}/set`);
    expect((await browser.fetch(`${origin}/other`)).headers.get('x-cookie')).toBe('root=1; gone=3');
    expect((await browser.fetch(`${origin}/app/x`)).headers.get('x-cookie')).toBe(
      'scoped=2; root=1; gone=3',
    );
    expect(browser.cookieAttributes('127.0.0.1', 'scoped')).toBe('scoped=2; Path=/app');
    await browser.fetch(`${origin}/delete`);
    expect(browser.cookie('127.0.0.1', 'root')).toBeUndefined();
    expect(browser.cookie('127.0.0.1', 'gone')).toBeUndefined();
    expect(browser.cookieAttributes('127.0.0.1', 'root')).toContain('Max-Age=0');
    expect((await browser.fetch(`${origin}/hop`)).status).toBe(302);
    const followed = await browser.fetch(`${origin}/hop`, { follow: true });
    expect(followed.url).toBe(`${origin}/app/end`);
    expect(followed.headers.get('x-cookie')).toBe('scoped=2');
    browser.setCookie('127.0.0.1', 'scoped', 'forged');
    expect((await browser.fetch(`${origin}/app/`)).headers.get('x-cookie')).toBe('scoped=forged');
    browser.clearCookies();
    expect(browser.cookie('127.0.0.1', 'scoped')).toBeUndefined();
  });
});
