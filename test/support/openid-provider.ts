// A real OpenID provider (panva oidc-provider) on a loopback port, configured to answer like Entra ID for one tenant.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
// @ts-expect-error -- oidc-provider 9 ships no type declarations; the interfaces below describe the parts used here.
import * as untypedOidcProviderModule from 'oidc-provider';

/** The Koa context fields this file reads (oidc-provider is a Koa application). */
export interface ProviderContext {
  method: string;
  path: string;
  querystring: string;
  headers: IncomingHttpHeaders;
  req: IncomingMessage;
  status: number;
  body: unknown;
  type: string;
  oidc?: {
    route?: string;
    params?: Record<string, unknown>;
    session?: { accountId?: string };
  };
}

export interface OidcAccessToken {
  readonly accountId: string;
  readonly clientId: string;
  readonly grantId: string;
  readonly scope?: string;
  readonly exp: number;
  readonly isExpired: boolean;
}

export interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

export interface OidcInteraction {
  readonly uid: string;
  readonly params: Record<string, string | undefined>;
  readonly returnTo: string;
  /** The sign-in session the interaction started in; `cookie` is the session's id. */
  session?: { accountId: string; uid?: string; cookie?: string };
  result?: Record<string, unknown>;
  /** Saves the interaction for the rest of its lifetime. */
  persist(): Promise<unknown>;
}

/** The oidc-provider instance as typed here (the package has no declarations): the members tests may use. */
export interface OidcProvider {
  readonly issuer: string;
  callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  use(middleware: (context: ProviderContext, next: () => Promise<void>) => Promise<void>): void;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  readonly Grant: new (properties: { accountId: string; clientId: string }) => OidcGrant;
  readonly AccessToken: { find(value: string): Promise<OidcAccessToken | undefined> };
}

interface InteractionPolicy {
  base(): {
    get(name: string): { checks: unknown[] } | undefined;
    add(prompt: unknown): void;
  };
  Prompt: new (options: { name: string; requestable: boolean }) => unknown;
  Check: (new (
    reason: string,
    description: string,
    error: string,
    check: (context: ProviderContext) => boolean,
  ) => unknown) & { REQUEST_PROMPT: boolean; NO_NEED_TO_PROMPT: boolean };
}

const oidcProviderModule = untypedOidcProviderModule as unknown as {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  interactionPolicy: InteractionPolicy;
};

export interface TokenRequestRecord {
  grantType: string;
  clientAuthentication: 'basic' | 'post' | 'none';
}

export interface LogoutRequestRecord {
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  clientId: string | undefined;
  logoutHint: string | undefined;
  idTokenHintPresent: boolean;
}

export interface TestOpenIdProvider {
  /** `http://127.0.0.1:${port}/${tenantId}/v2.0`: an issuer with a path, like Entra. */
  readonly issuer: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly provider: OidcProvider;
  /** Validates an access token this provider issued and has not revoked/expired; null otherwise. `expiresAt` is Unix time in seconds. */
  introspect(
    accessToken: string,
  ): Promise<{ sub: string; scope: string; clientId: string; expiresAt: number } | null>;
  /** Every request that reached the token endpoint, in order. No secrets stored. */
  readonly tokenRequests: TokenRequestRecord[];
  /** Every request that reached the end-session (logout) endpoint, in order. */
  readonly logoutRequests: LogoutRequestRecord[];
  /** Revokes every grant and session of an account (so a later refresh answers invalid_grant). */
  revokeAccount(sub: string): Promise<void>;
  close(): Promise<void>;
}

export interface TestAccount {
  readonly accountId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly email: string;
}

/** The account a login_hint names: `alice` and `alice@contoso.example` both name `alice`. */
export function accountIdFromLoginHint(loginHint: string | undefined): string | undefined {
  const accountId = (loginHint ?? 'alice').toLowerCase().split('@')[0] ?? '';
  return /^[a-z][a-z0-9._-]{0,63}$/.test(accountId) ? accountId : undefined;
}

/** Everything about a test account derives from its name, so Graph's stand-in describes the same user. */
export function describeAccount(accountId: string, tenantId: string): TestAccount {
  const digest = createHash('sha256').update(`${tenantId}:${accountId}`).digest('hex');
  // Entra's `oid` is a GUID, stable per user and tenant.
  const objectId = digest
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  return {
    accountId,
    objectId,
    displayName: accountId.charAt(0).toUpperCase() + accountId.slice(1),
    email: `${accountId}@contoso.example`,
  };
}

interface StoredEntry {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  expiresAt: number;
}

/** oidc-provider's storage, in memory and enumerable so that `revokeAccount` can find an account's grants. */
function createAdapterFactory(entries: Map<string, StoredEntry>) {
  const live = (key: string): StoredEntry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined || entry.expiresAt > Date.now()) return entry;
    entries.delete(key);
    return undefined;
  };
  const findWhere = (model: string, field: string, value: string) => {
    for (const [key, entry] of entries)
      if (entry.model === model && entry.payload[field] === value)
        return structuredClone(live(key)?.payload);
    return undefined;
  };
  // oidc-provider awaits every adapter method; the work here is synchronous.
  return (model: string) => ({
    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const expiresAt = expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000;
      entries.set(`${model}:${id}`, { model, id, payload: structuredClone(payload), expiresAt });
      return Promise.resolve();
    },
    find: (id: string) => Promise.resolve(structuredClone(live(`${model}:${id}`)?.payload)),
    findByUid: (uid: string) => Promise.resolve(findWhere(model, 'uid', uid)),
    findByUserCode: (userCode: string) => Promise.resolve(findWhere(model, 'userCode', userCode)),
    consume(id: string) {
      const entry = live(`${model}:${id}`);
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    },
    destroy: (id: string) => Promise.resolve(void entries.delete(`${model}:${id}`)),
    revokeByGrantId(grantId: string) {
      for (const [key, entry] of entries)
        if (entry.payload.grantId === grantId) entries.delete(key);
      return Promise.resolve();
    },
  });
}

function describeTokenRequest(
  headers: IncomingHttpHeaders,
  grantType: unknown,
  clientSecret: unknown,
): TokenRequestRecord {
  const basic = /^basic /i.test(headers.authorization ?? '');
  return {
    grantType: typeof grantType === 'string' ? grantType : '',
    clientAuthentication: basic ? 'basic' : typeof clientSecret === 'string' ? 'post' : 'none',
  };
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

export async function startOpenIdProvider(options: {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  accessTokenTtlSeconds?: number;
  clientId?: string;
  clientSecret?: string;
}): Promise<TestOpenIdProvider> {
  const tenantId = randomUUID();
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const postLogoutRedirectUris = options.postLogoutRedirectUris ?? [];
  const paths = {
    discovery: `/${tenantId}/v2.0/.well-known/openid-configuration`,
    authorization: `/${tenantId}/oauth2/v2.0/authorize`,
    token: `/${tenantId}/oauth2/v2.0/token`,
    logout: `/${tenantId}/oauth2/v2.0/logout`,
    jwks: `/${tenantId}/discovery/v2.0/keys`,
    interaction: `/${tenantId}/oauth2/v2.0/interaction/`,
  };
  const entries = new Map<string, StoredEntry>();
  const tokenRequests: TokenRequestRecord[] = [];
  const logoutRequests: LogoutRequestRecord[] = [];

  // Listening on port 0 first gives a port no other test file can take; the issuer needs it.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  const issuer = `http://127.0.0.1:${address.port}/${tenantId}/v2.0`;

  const provider = createProvider(issuer, tenantId, paths, {
    ...options,
    clientId,
    clientSecret,
    postLogoutRedirectUris,
    entries,
  });
  provider.use(keepOfflineAccess(paths.authorization));
  provider.use(recordAndShapeResponses(paths.token, tokenRequests));
  const handleWithProvider = provider.callback();

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', issuer);
    if (url.pathname.startsWith(paths.interaction))
      return completeInteraction(provider, request, response, (sessionId) =>
        entries.delete(`Session:${sessionId}`),
      );
    if (url.pathname === paths.logout) {
      const logoutRequest = describeLogoutRequest(url.searchParams);
      logoutRequests.push(logoutRequest);
      return endSession(request, response, logoutRequest, postLogoutRedirectUris);
    }
    // oidc-provider serves discovery at a fixed `/.well-known/openid-configuration`; Entra serves
    // it under the issuer's path, so that one path is rewritten and every other route is absolute.
    if (url.pathname === paths.discovery) request.url = `/.well-known/openid-configuration`;
    else if (!url.pathname.startsWith(`/${tenantId}/`))
      return sendJson(response, 404, { error: 'not_found' });
    return handleWithProvider(request, response);
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // What fails here is an interaction lookup (a missing or expired interaction cookie): a client error.
    route(request, response).catch((error: unknown) => {
      const description = error instanceof Error ? error.message : String(error);
      if (!response.headersSent)
        sendJson(response, 400, { error: 'invalid_request', error_description: description });
    });
  });

  return {
    issuer,
    tenantId,
    clientId,
    clientSecret,
    provider,
    tokenRequests,
    logoutRequests,
    async introspect(accessToken) {
      const token = await provider.AccessToken.find(accessToken);
      if (token === undefined || token.isExpired) return null;
      if (!entries.has(`Grant:${token.grantId}`)) return null;
      const { accountId: sub, scope = '', clientId: tokenClientId, exp: expiresAt } = token;
      return { sub, scope, clientId: tokenClientId, expiresAt };
    },
    revokeAccount(sub) {
      revokeAccountEntries(entries, sub);
      return Promise.resolve();
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** No login page: the account named by login_hint signs in and consents to every requested scope. */
async function completeInteraction(
  provider: OidcProvider,
  request: IncomingMessage,
  response: ServerResponse,
  forgetSession: (sessionId: string) => void,
): Promise<void> {
  const interaction = await provider.interactionDetails(request, response);
  const loginHint = interaction.params.login_hint;
  const accountId = accountIdFromLoginHint(loginHint);
  if (loginHint === 'cancel' || accountId === undefined) {
    const description = accountId === undefined ? 'unknown account' : 'the user cancelled';
    interaction.result = { error: 'access_denied', error_description: description };
  } else {
    const grant = new provider.Grant({ accountId, clientId: interaction.params.client_id ?? '' });
    grant.addOIDCScope(interaction.params.scope ?? 'openid');
    const grantId = await grant.save();
    // One answer resolves every prompt a request can raise (select_account included).
    interaction.result = { login: { accountId }, consent: { grantId }, select_account: {} };
    const previous = interaction.session;
    if (previous !== undefined && previous.accountId !== accountId) {
      // On an account switch oidc-provider answers a self-posting logout form, which a browser
      // without scripts cannot submit; dropping the old sign-in session here avoids that page.
      if (previous.cookie !== undefined) forgetSession(previous.cookie);
      interaction.session = undefined;
    }
  }
  // What provider.interactionFinished does, with the interaction edited above.
  await interaction.persist();
  response.writeHead(303, { location: interaction.returnTo, 'content-length': '0' }).end();
}

function describeLogoutRequest(parameters: URLSearchParams): LogoutRequestRecord {
  return {
    postLogoutRedirectUri: parameters.get('post_logout_redirect_uri') ?? undefined,
    state: parameters.get('state') ?? undefined,
    clientId: parameters.get('client_id') ?? undefined,
    logoutHint: parameters.get('logout_hint') ?? undefined,
    idTokenHintPresent: parameters.has('id_token_hint'),
  };
}

/**
 * oidc-provider's end_session always asks for confirmation (an HTML form, or a self-posting form
 * without a session); Entra redirects straight back, which a browser without scripts can follow.
 */
function endSession(
  request: IncomingMessage,
  response: ServerResponse,
  logoutRequest: LogoutRequestRecord,
  postLogoutRedirectUris: string[],
): void {
  if (request.method !== 'GET') return sendJson(response, 405, { error: 'invalid_request' });
  const { postLogoutRedirectUri, state } = logoutRequest;
  // Threat: open redirect through the IdP; only registered URIs are followed.
  if (
    postLogoutRedirectUri !== undefined &&
    !postLogoutRedirectUris.includes(postLogoutRedirectUri)
  )
    return sendJson(response, 400, {
      error: 'invalid_request',
      error_description: 'post_logout_redirect_uri is not registered',
    });
  // Forgetting the provider's session cookie (and its signature) signs the browser out.
  const expired = 'Path=/; Max-Age=0; HttpOnly; SameSite=Lax';
  response.setHeader('set-cookie', [`_session=; ${expired}`, `_session.sig=; ${expired}`]);
  if (postLogoutRedirectUri === undefined) return sendJson(response, 200, { signedOut: true });
  const location = new URL(postLogoutRedirectUri);
  if (state !== undefined) location.searchParams.set('state', state);
  response.writeHead(302, { location: location.href }).end();
}

/** Deletes an account's grants, every token of those grants, and its sessions. */
function revokeAccountEntries(entries: Map<string, StoredEntry>, sub: string): void {
  const grantIds = new Set<string>();
  for (const entry of entries.values())
    if (entry.model === 'Grant' && entry.payload.accountId === sub) grantIds.add(entry.id);
  for (const [key, entry] of entries) {
    const grantId = entry.model === 'Grant' ? entry.id : entry.payload.grantId;
    // Entra's "revoke sessions" ends sign-in sessions as well as refresh tokens.
    const session = entry.model === 'Session' && entry.payload.accountId === sub;
    if (session || (typeof grantId === 'string' && grantIds.has(grantId))) entries.delete(key);
  }
}

/**
 * Koa middleware: oidc-provider drops `offline_access` unless `prompt` holds `consent` (OpenID
 * Connect Core §11); Entra issues a refresh token without it, so the stand-in asks for consent
 * itself, which the automatic interaction grants. `prompt=none` is left alone.
 */
function keepOfflineAccess(authorizationPath: string) {
  return async (context: ProviderContext, next: () => Promise<void>): Promise<void> => {
    if (context.method === 'GET' && context.path === authorizationPath) {
      const parameters = new URLSearchParams(context.querystring);
      const scopes = (parameters.get('scope') ?? '').split(' ');
      const prompts = (parameters.get('prompt') ?? '').split(' ').filter(Boolean);
      if (
        scopes.includes('offline_access') &&
        !prompts.includes('consent') &&
        !prompts.includes('none')
      ) {
        parameters.set('prompt', [...prompts, 'consent'].join(' '));
        context.querystring = parameters.toString();
      }
    }
    await next();
  };
}

/** Koa middleware: records token requests, refuses Origin like Entra, and shapes discovery like Entra's. */
function recordAndShapeResponses(tokenPath: string, tokenRequests: TokenRequestRecord[]) {
  return async (context: ProviderContext, next: () => Promise<void>): Promise<void> => {
    if (context.method === 'POST' && context.path === tokenPath && context.headers.origin) {
      // Entra refuses cross-origin redemption for "Web" clients (AADSTS9002326).
      const parameters = new URLSearchParams(await readText(context.req));
      const { headers } = context;
      const grantType = parameters.get('grant_type');
      tokenRequests.push(describeTokenRequest(headers, grantType, parameters.get('client_secret')));
      context.status = 400;
      context.body = {
        error: 'invalid_request',
        error_description:
          "AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
        error_codes: [9002326],
      };
      return;
    }
    await next();
    const { route, params } = context.oidc ?? {};
    if (route === 'token')
      tokenRequests.push(
        describeTokenRequest(context.headers, params?.grant_type, params?.client_secret),
      );
    if (route === 'discovery' && typeof context.body === 'object' && context.body !== null)
      // Entra's document has no code_challenge_methods_supported (PKCE S256 works anyway).
      delete (context.body as Record<string, unknown>).code_challenge_methods_supported;
  };
}

function createProvider(
  issuer: string,
  tenantId: string,
  paths: Record<'authorization' | 'token' | 'logout' | 'jwks' | 'interaction', string>,
  options: {
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    accessTokenTtlSeconds?: number;
    clientId: string;
    clientSecret: string;
    entries: Map<string, StoredEntry>;
  },
): OidcProvider {
  const { interactionPolicy } = oidcProviderModule;
  const policy = interactionPolicy.base();
  // oidc-provider keeps an existing session whatever login_hint says; sign in again when the
  // hint names another account (so tests can switch users, and `cancel` always reaches the step).
  policy
    .get('login')
    ?.checks.push(
      new interactionPolicy.Check(
        'login_hint_names_another_account',
        'the login_hint names another account than the signed-in one',
        'login_required',
        (context) =>
          context.oidc?.session?.accountId ===
          accountIdFromLoginHint(context.oidc?.params?.login_hint as string | undefined)
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  // Entra accepts prompt=select_account; oidc-provider refuses prompts its policy does not name.
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = {
    ...signingKey.export({ format: 'jwk' }),
    kid: randomUUID(),
    alg: 'RS256',
    use: 'sig',
  };
  const day = 24 * 60 * 60;

  return new oidcProviderModule.default(issuer, {
    adapter: createAdapterFactory(options.entries),
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        // Both secret methods authenticate a client registered for either (oidc-provider's rule, and Entra's).
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    // Graph scopes are not OIDC scopes; listing them makes oidc-provider keep and grant them.
    scopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read', 'Mail.Read'],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub', 'tid', 'oid', 'login_hint', 'ver'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    findAccount: (_context: unknown, sub: string) => {
      if (accountIdFromLoginHint(sub) !== sub) return undefined;
      const account = describeAccount(sub, tenantId);
      const claims = {
        sub,
        tid: tenantId,
        oid: account.objectId,
        ver: '2.0',
        // Entra's login_hint claim is opaque; it goes back as logout_hint.
        login_hint: `O.${Buffer.from(`${account.objectId}@${tenantId}`).toString('base64url')}`,
        name: account.displayName,
        preferred_username: account.email,
        email: account.email,
      };
      return { accountId: sub, claims: () => claims };
    },
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
      backchannelLogout: { enabled: false },
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
    renderError: (context: ProviderContext, out: Record<string, string>) => {
      context.type = 'json';
      context.body = out;
    },
  });
}
