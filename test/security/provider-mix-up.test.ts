// Two authorization servers, no mix-up (RFC 9700 §4.4): a login started for one provider never completes at another's callback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sessionCookieName,
  startGatewayHarness,
  type GatewayHarness,
} from '../support/gateway-harness.ts';
import { freePort } from '../support/free-port.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
let instanceUrl: string;
beforeAll(async () => {
  // The ServiceNow instance is never called here: only its endpoints' URLs matter.
  instanceUrl = `http://127.0.0.1:${await freePort()}`;
  harness = await startGatewayHarness({
    SERVICENOW_CLIENT_ID: 'servicenow-client',
    SERVICENOW_CLIENT_SECRET: 'servicenow-secret',
    SERVICENOW_INSTANCE_URL: instanceUrl,
  });
});
afterAll(async () => {
  await harness.close();
});

describe('with Graph and ServiceNow both enabled', () => {
  it('each provider gets its own redirect URI; ServiceNow is plain OAuth 2.0 with PKCE and no nonce', async () => {
    const response = await fetch(`${harness.url}/auth/login/servicenow`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${instanceUrl}/oauth_auth.do`);
    expect(location.searchParams.get('redirect_uri')).toBe(
      `${harness.url}/auth/callback/servicenow`,
    );
    expect(location.searchParams.get('client_id')).toBe('servicenow-client');
    expect(location.searchParams.get('scope')).toBe('useraccount');
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('nonce')).toBeNull();
    const session = (await (await fetch(`${harness.url}/auth/session`)).json()) as {
      providers: Record<string, unknown>;
    };
    expect(Object.keys(session.providers).sort()).toEqual(['graph', 'servicenow']);
  });

  it("refuses a Graph login's callback delivered to the ServiceNow callback, and creates no session", async () => {
    const browser = new TestBrowser();
    const callback = await browser.followUntil(
      `${harness.url}/auth/login/graph`,
      `${harness.url}/auth/callback/`,
    );
    const misdirected = new URL(callback);
    misdirected.pathname = '/auth/callback/servicenow';
    const response = await browser.fetch(misdirected);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'urn:bff:invalid-login-state' });
    expect(browser.cookie('127.0.0.1', sessionCookieName)).toBeUndefined();
    expect(harness.openIdProvider.tokenRequests).toHaveLength(0);
  });
});
