// A real OpenID provider (panva oidc-provider) on a loopback port, configured to answer like Entra ID for one tenant.
import { randomBytes, randomUUID } from 'node:crypto';
import { startLoopbackServer, type ListenOptions } from './loopback-server.ts';
import {
  createProvider,
  createSigningKey,
  entraPaths,
  providerScopes,
} from './openid-provider/configuration.ts';
import {
  keepOfflineAccess,
  recordAndShapeResponses,
  type TokenRequestRecord,
} from './openid-provider/entra-middleware.ts';
import { serveProvider, type InteractionPage } from './openid-provider/http-server.ts';
import type { LogoutRequestRecord } from './openid-provider/logout.ts';
import { createLogoutTokens, type LogoutTokens } from './openid-provider/logout-tokens.ts';
import type { OidcProvider } from './openid-provider/oidc-provider-module.ts';
import {
  registerOnBehalfOfGrant,
  type OnBehalfOfGrant,
} from './openid-provider/on-behalf-of-grant.ts';
import { createInMemoryStorage } from './openid-provider/storage-adapter.ts';

export {
  accountIdFromLoginHint,
  describeAccount,
  type TestAccount,
} from './openid-provider/accounts.ts';
export type { TokenRequestRecord } from './openid-provider/entra-middleware.ts';
export type { LogoutRequestRecord } from './openid-provider/logout.ts';
export type { InteractionPage } from './openid-provider/http-server.ts';
export type { LogoutTokenOptions, LogoutTokens } from './openid-provider/logout-tokens.ts';
export type {
  OnBehalfOfFailure,
  OnBehalfOfGrant,
  OnBehalfOfRequestRecord,
  SsoTokenOptions,
} from './openid-provider/on-behalf-of-grant.ts';
export { createSigningKey } from './openid-provider/configuration.ts';
export type {
  OidcAccessToken,
  OidcGrant,
  OidcInteraction,
  OidcProvider,
  ProviderContext,
} from './openid-provider/oidc-provider-module.ts';

export interface TestOpenIdProvider {
  /** `http://127.0.0.1:${port}/${tenantId}/v2.0`: an issuer with a path, like Entra. */
  readonly issuer: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly provider: OidcProvider;
  /** Validates an access token this provider issued and has not revoked/expired; null otherwise. `expiresAt` is Unix time in seconds. */
  introspect(accessToken: string): Promise<{
    sub: string;
    scope: string;
    clientId: string;
    expiresAt: number;
    /** The token's `iat` (seconds): continuous access evaluation refuses tokens issued before an event. */
    issuedAt?: number;
  } | null>;
  /** Every request that reached the token endpoint, in order. No secrets stored. */
  readonly tokenRequests: TokenRequestRecord[];
  /** Every access, refresh and ID token handed out: none may ever reach a log. */
  readonly issuedSecrets: string[];
  /** Every request that reached the end-session (logout) endpoint, in order. */
  readonly logoutRequests: LogoutRequestRecord[];
  /** Back-channel logout tokens (only sent when started with `backChannelLogoutUri`). */
  readonly logoutTokens: LogoutTokens;
  /** Office single sign-on: SSO tokens to send, what On-Behalf-Of requests carried, scripted failures. */
  readonly onBehalfOf: OnBehalfOfGrant;
  /** Revokes every grant and session of an account (so a later refresh answers invalid_grant). */
  revokeAccount(sub: string): Promise<void>;
  close(): Promise<void>;
}

export async function startOpenIdProvider(options: {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  accessTokenTtlSeconds?: number;
  clientId?: string;
  clientSecret?: string;
  /** Registers this back-channel logout URI for the client (Entra has none; other providers do). */
  backChannelLogoutUri?: string;
  /** Default: a random GUID. */
  tenantId?: string;
  listen?: ListenOptions;
  /** Default: no page, the account named by login_hint signs in at once. */
  interactionPage?: InteractionPage;
}): Promise<TestOpenIdProvider> {
  const tenantId = options.tenantId ?? randomUUID();
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const postLogoutRedirectUris = options.postLogoutRedirectUris ?? [];
  const paths = entraPaths(tenantId);
  const storage = createInMemoryStorage();
  const tokenRequests: TokenRequestRecord[] = [];
  const logoutRequests: LogoutRequestRecord[] = [];
  const issuedSecrets: string[] = [];

  const { server, origin, close } = await startLoopbackServer(options.listen);
  const issuer = `${origin}/${tenantId}/v2.0`;
  const signingKey = createSigningKey();
  const provider = createProvider(issuer, tenantId, paths, {
    redirectUris: options.redirectUris,
    signingKey,
    ...(options.backChannelLogoutUri === undefined
      ? {}
      : { backChannelLogoutUri: options.backChannelLogoutUri }),
    postLogoutRedirectUris,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    clientId,
    clientSecret,
    storage,
    hasSignInPage: options.interactionPage !== undefined,
  });
  const onBehalfOf = registerOnBehalfOfGrant({
    provider,
    issuer,
    tenantId,
    clientId,
    signingKey,
    knownScopes: providerScopes,
  });
  provider.use(keepOfflineAccess(paths.authorization));
  provider.use(recordAndShapeResponses(paths.token, tokenRequests, issuedSecrets));
  serveProvider(server, {
    issuer,
    tenantId,
    paths,
    provider,
    postLogoutRedirectUris,
    logoutRequests,
    forgetSession: storage.forgetSession,
    ...(options.interactionPage === undefined ? {} : { interactionPage: options.interactionPage }),
  });

  return {
    issuer,
    tenantId,
    clientId,
    clientSecret,
    provider,
    tokenRequests,
    issuedSecrets,
    logoutRequests,
    logoutTokens: createLogoutTokens({ provider, issuer, clientId, signingKey }),
    onBehalfOf,
    async introspect(accessToken) {
      const token = await provider.AccessToken.find(accessToken);
      if (token === undefined || token.isExpired) return null;
      if (!storage.hasGrant(token.grantId)) return null;
      const { accountId: sub, scope = '', clientId: tokenClientId, exp: expiresAt, iat } = token;
      return { sub, scope, clientId: tokenClientId, expiresAt, issuedAt: iat };
    },
    revokeAccount(sub) {
      storage.revokeAccount(sub);
      return Promise.resolve();
    },
    close,
  };
}
