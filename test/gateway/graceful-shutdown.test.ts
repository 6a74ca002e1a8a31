// Graceful stop (contract §1): a request in flight when the gateway stops still completes; new connections are refused.
import { describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({ UPSTREAM_TIMEOUT_S: '5' }, (started) => (harness = started));

describe('stopping the gateway', () => {
  it('lets an in-flight proxied request finish, then refuses new connections', async () => {
    const browser = new TestBrowser();
    expect((await harness.login(browser)).status).toBe(302);
    const inFlight = browser.fetch(`${harness.url}/graph/v1.0/slow?ms=700`, {
      headers: { 'x-csrf': '1' },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = harness.stop(10_000);
    const response = await inFlight;
    expect(response.status).toBe(200);
    await stopped;
    await expect(fetch(`${harness.url}/healthz`)).rejects.toThrow();
  });
});
