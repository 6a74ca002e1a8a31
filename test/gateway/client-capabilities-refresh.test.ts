// GRAPH_CLIENT_CAPABILITIES travels with every refresh too, or Entra would issue a token without them.
import { beforeEach, describe, expect, it } from 'vitest';
import type { GatewayHarness } from '../support/gateway-harness.ts';
import type { ScriptedAuthorizationServer } from '../support/scripted-authorization-server.ts';
import { useScriptedGatewayHarness } from '../support/scripted-gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

/** Past the stand-in's 3600 s access-token lifetime. */
const pastExpiryMs = 2 * 60 * 60 * 1000;

let stand: ScriptedAuthorizationServer;
let harness: GatewayHarness;
useScriptedGatewayHarness(
  { environment: () => ({ GRAPH_CLIENT_CAPABILITIES: 'cp1' }) },
  (started) => ({ stand, harness } = started),
);

let browser: TestBrowser;
beforeEach(async () => {
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
});

describe('a refresh with client capabilities declared', () => {
  it('carries the cp1 claims request', async () => {
    harness.clock.advance(pastExpiryMs);
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me`, {
      headers: { 'x-csrf': '1' },
    });
    expect(response.status).toBe(200);
    const refresh = stand.tokenRequests.filter((request) => request.grantType === 'refresh_token');
    expect(refresh).toHaveLength(1);
    expect(JSON.parse(refresh[0]?.claims ?? 'null')).toEqual({
      access_token: { xms_cc: { values: ['cp1'] } },
    });
    // The code exchange carries no claims: they belong to the authorization request (OIDC Core §5.5).
    const exchange = stand.tokenRequests.find(
      (request) => request.grantType === 'authorization_code',
    );
    expect(exchange?.claims).toBeNull();
  });
});
