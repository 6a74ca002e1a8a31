// Drives the OpenID stand-ins with oauth4webapi, the gateway's own OAuth library: discovery, sign-in and refresh, as their tests need.
import * as oauth from 'oauth4webapi';
import type { TestOpenIdProvider } from './openid-provider.ts';
import { TestBrowser } from './test-browser.ts';

/** Port 9 (discard): the stand-ins only redirect there and nothing ever connects to it. */
export const redirectUri = 'http://127.0.0.1:9/auth/callback/graph';
export const postLogoutRedirectUri = 'http://127.0.0.1:9/';
export const scope = 'openid profile email offline_access User.Read Mail.Read';
// oauth4webapi refuses http:// unless told; the stand-ins are loopback only.
export const insecure = { [oauth.allowInsecureRequests]: true };

export interface PendingLogin {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** A client of the OpenID provider stand-in, once discovered: plain functions, so a test file can destructure them. */
export interface OpenIdProviderClient {
  readonly authorizationServer: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  /** An authorization request with PKCE, state and nonce; `parameters` replace the defaults. */
  readonly authorizationUrl: (parameters?: Record<string, string>) => Promise<PendingLogin>;
  /** Authorization code + PKCE through `browser`, then the code grant (client_secret_basic unless told). */
  readonly signIn: (
    browser: TestBrowser,
    parameters?: Record<string, string>,
    clientAuthentication?: oauth.ClientAuth,
  ) => Promise<oauth.TokenEndpointResponse>;
  /** A refresh token grant with client_secret_post, processed. */
  readonly refresh: (refreshToken: string) => Promise<oauth.TokenEndpointResponse>;
}

export async function openIdProviderClient(
  openIdProvider: TestOpenIdProvider,
): Promise<OpenIdProviderClient> {
  const issuer = new URL(openIdProvider.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  const authorizationServer = await oauth.processDiscoveryResponse(issuer, response);
  const client: oauth.Client = { client_id: openIdProvider.clientId };

  async function authorizationUrl(parameters: Record<string, string> = {}): Promise<PendingLogin> {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(authorizationServer.authorization_endpoint ?? '');
    const search = {
      client_id: openIdProvider.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope,
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...parameters,
    };
    for (const [name, value] of Object.entries(search)) url.searchParams.set(name, value);
    return { url, state, nonce, codeVerifier };
  }

  async function signIn(
    browser: TestBrowser,
    parameters: Record<string, string> = {},
    clientAuthentication = oauth.ClientSecretBasic(openIdProvider.clientSecret),
  ): Promise<oauth.TokenEndpointResponse> {
    const login = await authorizationUrl(parameters);
    const callback = await browser.followUntil(login.url, redirectUri);
    const callbackParameters = oauth.validateAuthResponse(
      authorizationServer,
      client,
      callback,
      login.state,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      authorizationServer,
      client,
      clientAuthentication,
      callbackParameters,
      redirectUri,
      login.codeVerifier,
      insecure,
    );
    return oauth.processAuthorizationCodeResponse(authorizationServer, client, response, {
      expectedNonce: login.nonce,
    });
  }

  function refresh(refreshToken: string): Promise<oauth.TokenEndpointResponse> {
    const clientAuthentication = oauth.ClientSecretPost(openIdProvider.clientSecret);
    return oauth
      .refreshTokenGrantRequest(
        authorizationServer,
        client,
        clientAuthentication,
        refreshToken,
        insecure,
      )
      .then((response) => oauth.processRefreshTokenResponse(authorizationServer, client, response));
  }

  return { authorizationServer, client, authorizationUrl, signIn, refresh };
}

/**
 * Authorization code + PKCE through a fresh browser, then the code grant with client_secret_post,
 * as the gateway sends it: the raw token response, for a test to process as it needs.
 */
export async function codeGrantWithSecretPost(
  server: oauth.AuthorizationServer,
  registered: { readonly clientId: string; readonly clientSecret: string },
  parameters: { scope: string; nonce?: string },
): Promise<Response> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(server.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    client_id: registered.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    ...parameters,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await new TestBrowser().followUntil(url, redirectUri);
  const registeredClient = { client_id: registered.clientId };
  return oauth.authorizationCodeGrantRequest(
    server,
    registeredClient,
    oauth.ClientSecretPost(registered.clientSecret),
    oauth.validateAuthResponse(server, registeredClient, callback),
    redirectUri,
    codeVerifier,
    insecure,
  );
}
