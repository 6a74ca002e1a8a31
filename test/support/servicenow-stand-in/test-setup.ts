// The shared setup of the ServiceNow stand-in's own tests: one instance per test file, an oauth4webapi client for it, and the secrets check.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../servicenow-stand-in.ts';
import { serviceNowOAuthClient, type ServiceNowOAuthClient } from './oauth-client.ts';

/** Port 9 (discard): the stand-in only redirects there and nothing ever connects to it. */
export const testRedirectUri = 'http://127.0.0.1:9/auth/callback/servicenow';

export interface ServiceNowTestSetup {
  /** The file's instance; read it inside a test or hook, once `beforeAll` has started it. */
  readonly serviceNow: ServiceNowStandIn;
  readonly oauthClient: ServiceNowOAuthClient;
}

/**
 * Starts one stand-in for the test file (`beforeAll`) and closes it (`afterAll`). Each test starts
 * with the default refresh answer, so a test that scripts a failure cannot leak it into the next.
 */
export function useServiceNowStandIn(redirectUri: string): ServiceNowTestSetup {
  let started: ServiceNowTestSetup | undefined;
  beforeAll(async () => {
    const serviceNow = await startServiceNowStandIn({ redirectUris: [redirectUri] });
    started = { serviceNow, oauthClient: serviceNowOAuthClient(serviceNow, redirectUri) };
  });
  afterAll(async () => {
    await started?.serviceNow.close();
  });
  beforeEach(() => {
    if (started !== undefined) started.serviceNow.refreshScript = 'tokens';
  });
  const current = (): ServiceNowTestSetup => {
    if (started === undefined) throw new Error('the ServiceNow stand-in is read before beforeAll');
    return started;
  };
  return {
    get serviceNow() {
      return current().serviceNow;
    },
    get oauthClient() {
      return current().oauthClient;
    },
  };
}

/** No record may hold a code, token or the client secret: records get printed when a test fails. */
export function expectNoSecretInRecords(serviceNow: ServiceNowStandIn): void {
  const records = JSON.stringify([
    serviceNow.authorizationRequests,
    serviceNow.tokenRequests,
    serviceNow.revocationRequests,
    serviceNow.apiRequests,
  ]);
  for (const secret of [...serviceNow.issuedSecrets, serviceNow.clientSecret])
    expect(records).not.toContain(secret);
}
