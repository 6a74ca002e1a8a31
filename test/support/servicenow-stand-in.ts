// A ServiceNow instance stand-in on loopback: its OAuth 2.0 server and REST API on one origin, answering like providers.md says ServiceNow does.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer, type ListenOptions } from './loopback-server.ts';
import type {
  ApiRequestRecord,
  AuthorizationRequestRecord,
  RefreshScript,
  RevocationRequestRecord,
  ServiceNowRouteHandler,
  TokenRequestRecord,
} from './servicenow-stand-in/answers.ts';
import { TokenLedger } from './servicenow-stand-in/ledger.ts';
import {
  answerAuthorization,
  answerRevocation,
  answerToken,
  type OAuthEndpointsContext,
} from './servicenow-stand-in/oauth-endpoints.ts';
import { answerApi, initialIncidents } from './servicenow-stand-in/table-api.ts';

export {
  serviceNowAccessDeniedBody,
  serviceNowFailures,
  serviceNowNotFoundBody,
  serviceNowUnauthenticatedBody,
  serviceNowUnauthenticatedChallenge,
  type ApiRequestRecord,
  type AuthorizationRequestRecord,
  type RefreshScript,
  type RevocationRequestRecord,
  type ScriptedHttpAnswer,
  type ServiceNowRouteHandler,
  type TokenRequestRecord,
} from './servicenow-stand-in/answers.ts';

export interface ServiceNowStandInOptions {
  /** The only redirect URIs `/oauth_auth.do` accepts, compared exactly. */
  readonly redirectUris: readonly string[];
  /** Access token lifetime; `expires_in` answers one second less. Default 1800, ServiceNow's. */
  readonly accessTokenTtlSeconds?: number;
  /** Default: random, with characters that must be form-encoded. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly listen?: ListenOptions;
}

export interface ServiceNowStandIn {
  /** `http://127.0.0.1:${port}`, no trailing slash: the instance (SERVICENOW_INSTANCE_URL). */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  /** The variables that point the gateway at this instance. */
  environment(): {
    SERVICENOW_CLIENT_ID: string;
    SERVICENOW_CLIENT_SECRET: string;
    SERVICENOW_INSTANCE_URL: string;
  };
  /** How refresh grants are answered; read at each request. Default `tokens`. */
  refreshScript: RefreshScript;
  readonly authorizationRequests: AuthorizationRequestRecord[];
  readonly tokenRequests: TokenRequestRecord[];
  readonly revocationRequests: RevocationRequestRecord[];
  /** Every request but the OAuth endpoints', recorded once its body has been read. */
  readonly apiRequests: ApiRequestRecord[];
  /** Every code, access token and refresh token handed out: none may ever reach a log. */
  readonly issuedSecrets: string[];
  /** Every refresh token issued so far is dead: the next refresh gets 401 server_error/access_denied. */
  revokeRefreshTokens(): void;
  /** Every access token issued so far is refused by the API: a token the gateway still believes valid. */
  rejectAccessTokens(): void;
  latestAccessToken(): string | undefined;
  latestRefreshToken(): string | undefined;
  /**
   * Answers `method path` (exact pathname, query ignored) with `handler` instead, without a bearer
   * check; the request is still recorded. Returns a function that removes the override.
   */
  route(method: string, path: string, handler: ServiceNowRouteHandler): () => void;
  /** Closes the listener and every connection, hung requests included. */
  close(): Promise<void>;
}

export async function startServiceNowStandIn({
  redirectUris,
  accessTokenTtlSeconds = 1800,
  clientId = randomUUID().replaceAll('-', ''),
  // `|`, `+`, `&` and `=` prove the client form-encodes its secret: sent raw, they would corrupt the form.
  clientSecret = `${randomBytes(12).toString('base64url')}|+&=${randomBytes(6).toString('hex')}`,
  listen,
}: ServiceNowStandInOptions): Promise<ServiceNowStandIn> {
  const issuedSecrets: string[] = [];
  const ledger = new TokenLedger(accessTokenTtlSeconds, issuedSecrets);
  const overrides = new Map<string, ServiceNowRouteHandler>();
  const incidents = initialIncidents();
  const { server, origin, close } = await startLoopbackServer(listen);

  const stand: ServiceNowStandIn = {
    url: origin,
    clientId,
    clientSecret,
    redirectUris: Object.freeze([...redirectUris]),
    environment: () => ({
      SERVICENOW_CLIENT_ID: stand.clientId,
      SERVICENOW_CLIENT_SECRET: stand.clientSecret,
      SERVICENOW_INSTANCE_URL: origin,
    }),
    refreshScript: 'tokens',
    authorizationRequests: [],
    tokenRequests: [],
    revocationRequests: [],
    apiRequests: [],
    issuedSecrets,
    revokeRefreshTokens: () => ledger.revokeAllRefreshTokens(),
    rejectAccessTokens: () => ledger.rejectAllAccessTokens(),
    latestAccessToken: () => ledger.latestAccessToken(),
    latestRefreshToken: () => ledger.latestRefreshToken(),
    route(method, path, handler) {
      const key = `${method.toUpperCase()} ${path}`;
      overrides.set(key, handler);
      return () => {
        if (overrides.get(key) === handler) overrides.delete(key);
      };
    },
    close,
  };

  const oauthContext: OAuthEndpointsContext = {
    clientId: stand.clientId,
    clientSecret: stand.clientSecret,
    redirectUris: stand.redirectUris,
    ledger,
    authorizationRequests: stand.authorizationRequests,
    tokenRequests: stand.tokenRequests,
    revocationRequests: stand.revocationRequests,
    refreshScript: () => stand.refreshScript,
  };
  const apiContext = { ledger, apiRequests: stand.apiRequests, overrides, incidents };

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    if (route === 'GET /oauth_auth.do') return answerAuthorization(oauthContext, url, response);
    if (route === 'POST /oauth_token.do') return answerToken(oauthContext, request, response);
    if (route === 'POST /oauth_revoke_token.do')
      return answerRevocation(oauthContext, request, url, response);
    return answerApi(apiContext, request, url, response);
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    answer(request, response).catch((error: unknown) => {
      // A client that went away mid-body is no failure of the stand-in.
      if (response.headersSent || request.destroyed) return void response.destroy();
      const message = error instanceof Error ? error.message : String(error);
      response.writeHead(500, { 'content-type': 'text/plain' }).end(message);
    });
  });
  return stand;
}
