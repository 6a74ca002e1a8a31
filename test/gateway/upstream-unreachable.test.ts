// An upstream that refuses connections: 502 problem+json, and the session is kept (contract §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { closedOrigin } from '../support/loopback-server.ts';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await startGatewayHarness({ GRAPH_API_URL: closedOrigin });
});
afterAll(async () => {
  await harness.close();
});

describe('an unreachable upstream', () => {
  it('is answered 502 upstream-unreachable and the session stays valid', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      type: 'urn:bff:upstream-unreachable',
      status: 502,
    });
    const session = (await (await browser.fetch(`${harness.url}/auth/session`)).json()) as {
      authenticated: boolean;
    };
    expect(session.authenticated).toBe(true);
  });
});
