// Back-channel logout while the provider's keys cannot be fetched: 503 (try again), never a session ended on an unverified token.
import { expect, it } from 'vitest';
import { sessionIdOf, useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started), { backChannelLogout: true });

it('answers 503 with Retry-After when the JWKS is unreachable, and the session lives on', async () => {
  const browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
  const sessionId = await sessionIdOf(browser);
  const user = (await harness.gateway.dependencies.sessions.loadSnapshot(sessionId))?.user;
  const logoutToken = await harness.openIdProvider.logoutTokens.sign({
    claims: { sid: user?.providerSessionId },
  });
  // Discovery is cached since the login; the keys for logout tokens are fetched on first use.
  await harness.openIdProvider.close();
  const response = await fetch(`${harness.url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }),
  });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(await response.json()).toMatchObject({ type: 'urn:bff:provider-unavailable' });
  expect(await harness.gateway.dependencies.sessions.loadSnapshot(sessionId)).not.toBeNull();
});
