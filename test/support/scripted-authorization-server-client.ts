// Drives the scripted authorization server with oauth4webapi as the gateway does: discovery, sign-in and refresh, multi-tenant issuers included.
import * as oauth from 'oauth4webapi';
import { codeGrantWithSecretPost, insecure, scope } from './openid-provider-client.ts';
import type { ScriptedAuthorizationServer } from './scripted-authorization-server.ts';

/** What a scripted login hands the test: the stand-in's metadata (issuer as discovered) and the tokens. */
export interface ScriptedLogin {
  readonly server: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly tokens: oauth.TokenEndpointResponse;
}

/**
 * Multi-tenant, discovery's issuer keeps Entra's `{tenantid}` placeholder: oauth4webapi's strict
 * comparison would refuse it, so the document is taken as is and the ID token's `tid` is
 * substituted before validation, as providers.md prescribes for the gateway.
 */
async function discoverScripted(
  stand: ScriptedAuthorizationServer,
): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(stand.discoveryIssuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  if (stand.discoveryIssuer === stand.issuer)
    return oauth.processDiscoveryResponse(issuer, response);
  return (await response.json()) as oauth.AuthorizationServer;
}

/** Reads `tid` before validation (as the gateway must) and names its issuer; single-tenant, a no-op. */
export function withTenantIssuer(
  server: oauth.AuthorizationServer,
  idToken: string | undefined,
): oauth.AuthorizationServer {
  const payload = Buffer.from(idToken?.split('.')[1] ?? '', 'base64url').toString();
  const { tid } = JSON.parse(payload) as { tid: string };
  return { ...server, issuer: server.issuer.replace('{tenantid}', tid) };
}

export async function idTokenOf(response: Response): Promise<string | undefined> {
  return ((await response.clone().json()) as { id_token?: string }).id_token;
}

/** Authorization code + PKCE against the scripted stand-in, client_secret_post, as the gateway does. */
export async function scriptedSignIn(
  stand: ScriptedAuthorizationServer,
  scriptedScope = scope,
): Promise<ScriptedLogin> {
  const server = await discoverScripted(stand);
  const scriptedClient = { client_id: stand.clientId };
  const nonce = oauth.generateRandomNonce();
  const response = await codeGrantWithSecretPost(server, stand, { scope: scriptedScope, nonce });
  const idToken = await idTokenOf(response);
  const validating = idToken === undefined ? server : withTenantIssuer(server, idToken);
  const tokens = await oauth.processAuthorizationCodeResponse(
    validating,
    scriptedClient,
    response,
    {
      expectedNonce: idToken === undefined ? oauth.expectNoNonce : nonce,
    },
  );
  return { server, client: scriptedClient, tokens };
}

export function scriptedRefreshRequest(
  stand: ScriptedAuthorizationServer,
  login: ScriptedLogin,
  refreshToken: string,
  signal?: AbortSignal,
): Promise<Response> {
  return oauth.refreshTokenGrantRequest(
    login.server,
    login.client,
    oauth.ClientSecretPost(stand.clientSecret),
    refreshToken,
    { ...insecure, signal },
  );
}

/** A refresh validated the way the gateway validates it: multi-tenant, against the `tid`'s issuer. */
export async function scriptedRefresh(
  stand: ScriptedAuthorizationServer,
  login: ScriptedLogin,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await scriptedRefreshRequest(stand, login, refreshToken);
  const idToken = await idTokenOf(response);
  const validating = idToken === undefined ? login.server : withTenantIssuer(login.server, idToken);
  return oauth.processRefreshTokenResponse(validating, login.client, response);
}
