// Proves the multi-tenant scripted authorization server names the tid's issuer in a refresh's ID token, as Entra ID does.
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  idTokenOf,
  scriptedRefreshRequest,
  scriptedSignIn,
  withTenantIssuer,
} from './scripted-authorization-server-client.ts';
import {
  startScriptedAuthorizationServer,
  type ScriptedAuthorizationServer,
} from './scripted-authorization-server.ts';

describe('the multi-tenant scripted authorization server refreshes like Entra ID', () => {
  let stand: ScriptedAuthorizationServer;
  beforeAll(async () => {
    stand = await startScriptedAuthorizationServer({ multiTenant: true });
  });
  afterAll(async () => {
    await stand.close();
  });

  it('a refresh’s ID token names the tid’s issuer: valid once the tid is substituted, refused as discovered', async () => {
    const guestTenant = randomUUID();
    stand.script = { tenantId: guestTenant };
    const login = await scriptedSignIn(stand);
    expect(login.server.issuer).toBe(`${new URL(stand.issuer).origin}/{tenantid}/v2.0`);
    const response = await scriptedRefreshRequest(stand, login, login.tokens.refresh_token ?? '');
    const idToken = await idTokenOf(response);
    const asDiscovered = oauth.processRefreshTokenResponse(
      login.server,
      login.client,
      response.clone(),
    );
    await expect(asDiscovered).rejects.toMatchObject({ code: oauth.JWT_CLAIM_COMPARISON });
    const validating = withTenantIssuer(login.server, idToken);
    const tokens = await oauth.processRefreshTokenResponse(validating, login.client, response);
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims).toMatchObject({
      iss: `${new URL(stand.issuer).origin}/${guestTenant}/v2.0`,
      tid: guestTenant,
    });
    expect(claims).not.toHaveProperty('nonce');
  });
});
