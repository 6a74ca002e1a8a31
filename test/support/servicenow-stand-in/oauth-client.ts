// Drives a ServiceNow stand-in with oauth4webapi, the gateway's own OAuth library: authorize, exchange, refresh, as the tests of the stand-in need.
import * as oauth from 'oauth4webapi';
import type { ServiceNowStandIn } from '../servicenow-stand-in.ts';

// oauth4webapi refuses http:// unless told; the stand-in is loopback only.
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** A completed authorization request: where the instance redirected, and what the client kept. */
export interface ServiceNowLogin {
  readonly callback: URL;
  readonly state: string;
  readonly codeVerifier: string;
}

export interface ServiceNowOAuthClient {
  readonly authorizationServer: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuthentication: oauth.ClientAuth;
  /** Follows `/oauth_auth.do` to its redirect; `parameters` replace the well-formed defaults. */
  authorize(parameters?: Record<string, string>): Promise<ServiceNowLogin>;
  /** The raw token response for the login's code, sent with `codeVerifier` (default: the right one). */
  exchange(login: ServiceNowLogin, codeVerifier?: string): Promise<Response>;
  signIn(): Promise<oauth.TokenEndpointResponse>;
  refreshRequest(refreshToken: string): Promise<Response>;
  refresh(refreshToken: string): Promise<oauth.TokenEndpointResponse>;
}

/** ServiceNow publishes no discovery document: the metadata is written by hand, as the gateway does. */
export function serviceNowAuthorizationServer(instance: string): oauth.AuthorizationServer {
  return {
    issuer: instance,
    authorization_endpoint: `${instance}/oauth_auth.do`,
    token_endpoint: `${instance}/oauth_token.do`,
    revocation_endpoint: `${instance}/oauth_revoke_token.do`,
  };
}

export function serviceNowOAuthClient(
  serviceNow: ServiceNowStandIn,
  redirectUri: string,
): ServiceNowOAuthClient {
  const authorizationServer = serviceNowAuthorizationServer(serviceNow.url);
  const client: oauth.Client = { client_id: serviceNow.clientId };
  // ServiceNow takes client credentials in the form body (providers.md).
  const clientAuthentication = oauth.ClientSecretPost(serviceNow.clientSecret);

  async function authorize(parameters: Record<string, string> = {}): Promise<ServiceNowLogin> {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(authorizationServer.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: serviceNow.clientId,
      redirect_uri: redirectUri,
      state,
      scope: 'useraccount',
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...parameters,
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status !== 302 || location === null)
      throw new Error(
        `the authorization endpoint answered ${response.status}, expected a redirect`,
      );
    return { callback: new URL(location), state, codeVerifier };
  }

  function exchange(login: ServiceNowLogin, codeVerifier = login.codeVerifier): Promise<Response> {
    const callbackParameters = oauth.validateAuthResponse(
      authorizationServer,
      client,
      login.callback,
      login.state,
    );
    return oauth.authorizationCodeGrantRequest(
      authorizationServer,
      client,
      clientAuthentication,
      callbackParameters,
      redirectUri,
      codeVerifier,
      insecure,
    );
  }

  function refreshRequest(refreshToken: string): Promise<Response> {
    return oauth.refreshTokenGrantRequest(
      authorizationServer,
      client,
      clientAuthentication,
      refreshToken,
      insecure,
    );
  }

  return {
    authorizationServer,
    client,
    clientAuthentication,
    authorize,
    exchange,
    async signIn() {
      const response = await exchange(await authorize());
      return oauth.processAuthorizationCodeResponse(authorizationServer, client, response);
    },
    refreshRequest,
    async refresh(refreshToken) {
      const response = await refreshRequest(refreshToken);
      return oauth.processRefreshTokenResponse(authorizationServer, client, response);
    },
  };
}
