// oidc-provider's configuration for one Entra-like tenant: routes, client, scopes, claims, features, TTLs and keys.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createAccountFinder } from './accounts.ts';
import { createInteractionPolicy } from './interactions.ts';
import { jwtBearerGrantType } from './on-behalf-of-grant.ts';
import {
  oidcProviderModule,
  type OidcProvider,
  type ProviderContext,
} from './oidc-provider-module.ts';
import type { InMemoryStorage } from './storage-adapter.ts';

/** Entra's paths for a tenant; the issuer is `/${tenantId}/v2.0` on the same origin. */
export interface EntraPaths {
  readonly discovery: string;
  readonly authorization: string;
  readonly token: string;
  readonly logout: string;
  readonly jwks: string;
  readonly interaction: string;
}

export function entraPaths(tenantId: string): EntraPaths {
  return {
    discovery: `/${tenantId}/v2.0/.well-known/openid-configuration`,
    authorization: `/${tenantId}/oauth2/v2.0/authorize`,
    token: `/${tenantId}/oauth2/v2.0/token`,
    logout: `/${tenantId}/oauth2/v2.0/logout`,
    jwks: `/${tenantId}/discovery/v2.0/keys`,
    interaction: `/${tenantId}/oauth2/v2.0/interaction/`,
  };
}

/** The provider's RS256 signing key: published in its JWKS, and used by tests to sign logout tokens. */
export interface SigningKey {
  readonly privateJwk: JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };
}

export function createSigningKey(): SigningKey {
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return {
    privateJwk: {
      ...privateKey.export({ format: 'jwk' }),
      kid: randomUUID(),
      alg: 'RS256',
      use: 'sig',
    },
  };
}

/** Graph scopes are not OIDC scopes; listing them makes oidc-provider keep and grant them. */
export const providerScopes = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'User.Read',
  'Mail.Read',
];

export interface ProviderOptions {
  readonly redirectUris: string[];
  readonly signingKey: SigningKey;
  /**
   * Back-Channel Logout 1.0 (which Entra does not send): when set, the client is registered with
   * this `backchannel_logout_uri` and `backchannel_logout_session_required`, so ID tokens carry `sid`.
   */
  readonly backChannelLogoutUri?: string;
  readonly postLogoutRedirectUris: string[];
  readonly accessTokenTtlSeconds?: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly storage: InMemoryStorage;
  /** A sign-in page chooses the account: without a login_hint the signed-in account stays. */
  readonly hasSignInPage?: boolean;
}

export function createProvider(
  issuer: string,
  tenantId: string,
  paths: EntraPaths,
  options: ProviderOptions,
): OidcProvider {
  const policy = createInteractionPolicy(options.hasSignInPage === true);
  const jwk = options.signingKey.privateJwk;
  const backChannelLogout =
    options.backChannelLogoutUri === undefined
      ? {}
      : {
          backchannel_logout_uri: options.backChannelLogoutUri,
          backchannel_logout_session_required: true,
        };
  const day = 24 * 60 * 60;

  return new oidcProviderModule.default(issuer, {
    adapter: options.storage.adapter,
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token', jwtBearerGrantType],
        response_types: ['code'],
        // Both secret methods authenticate a client registered for either (oidc-provider's rule, and Entra's).
        token_endpoint_auth_method: 'client_secret_basic',
        ...backChannelLogout,
      },
    ],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    scopes: [...providerScopes],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub', 'tid', 'oid', 'login_hint', 'ver'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    findAccount: createAccountFinder(tenantId),
    interactions: {
      policy,
      url: (_context: unknown, interaction: { uid: string }) =>
        `${paths.interaction}${interaction.uid}`,
    },
    routes: {
      authorization: paths.authorization,
      token: paths.token,
      end_session: paths.logout,
      jwks: paths.jwks,
    },
    features: {
      devInteractions: { enabled: false },
      // Entra's userinfo lives on Graph; without it the ID token carries the profile claims.
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: false },
      introspection: { enabled: false },
      backchannelLogout: { enabled: options.backChannelLogoutUri !== undefined },
      // Entra has neither pushed authorization requests nor DPoP.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    issueRefreshToken: (
      _context: unknown,
      client: { grantTypeAllowed(type: string): boolean },
      code: { scopes: Set<string> },
    ) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      RefreshToken: 90 * day,
      Grant: 90 * day,
      Interaction: 600,
      Session: day,
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    jwks: { keys: [jwk] },
    clientBasedCORS: () => false,
    // oidc-provider refuses to POST logout tokens to special-use addresses (SSRF defence); every
    // party of these tests is on loopback, so its dispatcher is left out.
    fetch: (
      url: string,
      { dispatcher: _dispatcher, ...init }: RequestInit & { dispatcher?: unknown },
    ) => fetch(url, init),
    renderError: (context: ProviderContext, out: Record<string, string>) => {
      context.type = 'json';
      context.body = out;
    },
  });
}
