// Oversized heads (a header, a cookie, a query, a path) are answered 431 by the real server before the gateway runs, and it keeps serving.
import { describe, expect, it } from 'vitest';
import { maximumHeaderBytes } from '../../src/gateway/http-server.ts';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { sendRaw } from '../support/raw-http.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

/** Comfortably past Node's 16 KiB head limit. */
const oversized = maximumHeaderBytes + 4 * 1024;
/** Leaves room for the request line and the other header lines below the limit. */
const justUnder = maximumHeaderBytes - 1024;

function port(): number {
  return Number(new URL(harness.url).port);
}

/** One request on its own connection: `Connection: close` so the answer ends with the connection. */
function request(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-CSRF: 1\r\n${extraHeaders}Connection: close\r\n\r\n`;
}

async function expectStillServing(): Promise<void> {
  const health = await sendRaw(port(), request('/healthz'));
  expect(health.statuses).toEqual([200]);
  const session = await fetch(`${harness.url}/auth/session`);
  expect(session.status).toBe(200);
}

describe('oversized request heads', () => {
  it(`the head limit is Node's default, ${maximumHeaderBytes} bytes`, () => {
    expect(maximumHeaderBytes).toBe(16 * 1024);
  });

  it.each([
    ['a huge header', '/auth/session', `X-Padding: ${'a'.repeat(oversized)}\r\n`],
    ['a huge cookie', '/auth/session', `Cookie: bff-session=Fe26.2*${'b'.repeat(oversized)}\r\n`],
    ['a huge query string', `/auth/session?q=${'c'.repeat(oversized)}`, ''],
    ['a huge login query', `/auth/login/graph?return_to=/${'d'.repeat(oversized)}`, ''],
    ['a huge proxied path', `/graph/v1.0/${'e'.repeat(oversized)}`, ''],
    ['a huge proxied query', `/graph/v1.0/me?$filter=${'f'.repeat(oversized)}`, ''],
    [
      'many header lines adding up past the limit',
      '/auth/session',
      Array.from({ length: 1500 }, (_, index) => `X-H${index}: ${'g'.repeat(10)}\r\n`).join(''),
    ],
  ])('%s is answered 431 and closed, and nothing is forwarded', async (_name, target, headers) => {
    harness.graph.reset();
    const logsBefore = harness.logs.length;
    const answer = await sendRaw(port(), request(target, headers));
    expect(answer.statuses).toEqual([431]);
    expect(answer.closedByServer).toBe(true);
    expect(harness.graph.requests).toEqual([]);
    // Refused by Node's parser: no gateway code ran, so no request was logged or audited.
    const logged = harness.logs
      .slice(logsBefore)
      .filter((line) => !line.includes('store connected'));
    expect(logged).toEqual([]);
    await expectStillServing();
  });

  it('a head just under the limit is served: the 431 above is the limit, not any large request', async () => {
    const answer = await sendRaw(
      port(),
      request('/auth/session', `X-Padding: ${'h'.repeat(justUnder)}\r\n`),
    );
    expect(answer.statuses).toEqual([200]);
    expect(answer.text).toContain('"authenticated":false');
  });

  it('a signed-in browser keeps working after a flood of oversized heads on other connections', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const flood = Array.from({ length: 20 }, () =>
      sendRaw(port(), request('/graph/v1.0/me', `X-Padding: ${'i'.repeat(oversized)}\r\n`)),
    );
    const answers = await Promise.all(flood);
    expect(answers.every((answer) => answer.statuses[0] === 431)).toBe(true);
    const me = await browser.fetch(`${harness.url}/graph/v1.0/me`, { headers: { 'x-csrf': '1' } });
    expect(me.status).toBe(200);
  });
});
