// An OpenID provider stand-in on loopback whose answers a test scripts, single- or Entra-multi-tenant: the failures a well-behaved provider never produces.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeAuthorizationRequest, readBody, sendScriptedAnswer } from './http-helpers.ts';
import { startLoopbackServer } from './loopback-server.ts';
import {
  buildIdToken,
  discoveryDocument,
  generateSigningKey,
  signJwt,
  type ScriptedAuthorizationServer,
  type ScriptedAuthorizationServerOptions,
  type TokenRequestRecord,
} from './scripted-authorization-server-script.ts';
import {
  entraErrorBody,
  jsonHeaders,
  parseBasic,
  RefreshTokenChains,
  sendJson,
  type PresentedRefreshToken,
} from './scripted-authorization-server-refresh.ts';

export {
  type AuthorizationAnswer,
  type AuthorizationRequestRecord,
  type IdTokenVariant,
  type RefreshTokenState,
  type Script,
  type ScriptedAuthorizationServer,
  type ScriptedAuthorizationServerOptions,
  type ScriptedHttpAnswer,
  type TokenRequestRecord,
} from './scripted-authorization-server-script.ts';
export { tokenEndpointFailures } from './scripted-authorization-server-refresh.ts';

interface IssuedCode {
  readonly codeChallenge: string | null;
  readonly nonce: string | undefined;
  readonly redirectUri: string;
  /** What the authorization request asked for: the grant, hence every refresh, gets it. */
  readonly scope: string;
}

/** What a token answer carries besides the access token. */
interface TokenAnswer {
  readonly scope: string;
  /** Undefined in a refresh: its ID token has no nonce (OpenID Connect Core §12.2). */
  readonly nonce: string | undefined;
  /** Null: the answer has no `refresh_token`. */
  readonly refreshToken: string | null;
}

/** Granted when the authorization request names no scope: the gateway's default Graph scopes. */
const defaultScope = 'openid profile email offline_access User.Read';

export async function startScriptedAuthorizationServer({
  multiTenant = false,
}: ScriptedAuthorizationServerOptions = {}): Promise<ScriptedAuthorizationServer> {
  const tenantId = randomUUID();
  const key = generateSigningKey();
  const foreignKey = generateSigningKey();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new RefreshTokenChains();
  /** Issued access tokens with what an API learns when it checks one (expiresAt: Unix seconds). */
  const accessTokens = new Map<
    string,
    { sub: string; scope: string; clientId: string; expiresAt: number }
  >();
  const { server, origin, close } = await startLoopbackServer();
  const segment = multiTenant ? 'organizations' : tenantId;
  const paths = {
    discovery: `/${segment}/v2.0/.well-known/openid-configuration`,
    keys: `/${segment}/discovery/v2.0/keys`,
    authorize: `/${segment}/oauth2/v2.0/authorize`,
    token: `/${segment}/oauth2/v2.0/token`,
  };

  const stand: ScriptedAuthorizationServer = {
    issuer: `${origin}/${tenantId}/v2.0`,
    discoveryIssuer: `${origin}/${segment}/v2.0`,
    tenantId,
    clientId: randomUUID(),
    clientSecret: `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`,
    user: { sub: randomUUID(), name: 'Scripted User', email: 'scripted.user@contoso.example' },
    script: {},
    authorizationRequests: [],
    tokenRequests: [],
    issuedSecrets: [],
    latestRefreshToken: () => refreshTokens.latestIssued,
    signLogoutToken: (claims) =>
      signJwt({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' }, claims, key.privateKey),
    introspect: (accessToken) => Promise.resolve(accessTokens.get(accessToken) ?? null),
    close,
  };

  const discovery = discoveryDocument(origin, paths, multiTenant ? null : stand.issuer);

  /** RFC 6749 §4.1.2: back to `redirect_uri` at once, with whatever the script says instead of a login page. */
  function authorize(url: URL, response: ServerResponse): void {
    const query = url.searchParams;
    const redirectUri = query.get('redirect_uri');
    stand.authorizationRequests.push({
      ...describeAuthorizationRequest(query),
      nonce: query.get('nonce'),
    });
    if (redirectUri === null || query.get('client_id') !== stand.clientId)
      return sendJson(response, 400, { error: 'invalid_request' });
    const answer = stand.script.authorization ?? 'code';
    const target = new URL(redirectUri);
    const parameters = target.searchParams;
    if (typeof answer === 'object' && 'error' in answer) {
      parameters.set('error', answer.error);
      if (answer.errorDescription !== undefined)
        parameters.set('error_description', answer.errorDescription);
    } else if (answer !== 'no-code') {
      const code = randomBytes(32).toString('base64url');
      codes.set(code, {
        codeChallenge: query.get('code_challenge'),
        nonce: query.get('nonce') ?? undefined,
        redirectUri,
        scope: query.get('scope') ?? defaultScope,
      });
      stand.issuedSecrets.push(code);
      parameters.set('code', code);
    }
    const state = query.get('state');
    if (state !== null) parameters.set('state', state);
    // Multi-tenant, Entra sends no `iss` (and advertises none): there is no single issuer to send.
    if (typeof answer === 'object' && 'iss' in answer) parameters.set('iss', answer.iss);
    else if (!multiTenant) parameters.set('iss', stand.issuer);
    response.writeHead(302, { location: target.href, 'cache-control': 'no-store' }).end();
  }

  /** RFC 6749 §2.3.1 client authentication, then the grant: §4.1.3 (with RFC 7636 §4.6 PKCE) or §6. */
  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(request));
    const basic = parseBasic(request.headers.authorization);
    const credentials = basic ?? {
      clientId: form.get('client_id'),
      clientSecret: form.get('client_secret'),
    };
    const grantType = form.get('grant_type');
    const issued = codes.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier');
    const presented =
      grantType === 'refresh_token' ? refreshTokens.find(form.get('refresh_token')) : null;
    const record: TokenRequestRecord = {
      grantType,
      authMethod: basic
        ? 'client_secret_basic'
        : form.has('client_secret')
          ? 'client_secret_post'
          : 'none',
      clientAuthenticated:
        credentials.clientId === stand.clientId && credentials.clientSecret === stand.clientSecret,
      hadCodeVerifier: verifier !== null,
      pkceMatched:
        verifier !== null &&
        issued?.codeChallenge === createHash('sha256').update(verifier).digest('base64url'),
      refreshTokenState: presented?.state ?? null,
      claims: form.get('claims'),
    };
    stand.tokenRequests.push(record);
    if (!record.clientAuthenticated) return sendJson(response, 401, { error: 'invalid_client' });
    if (presented !== null) return refresh(presented, response);
    if (grantType !== 'authorization_code')
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    // Codes are single use (RFC 6749 §4.1.2) and bound to the redirect URI they were issued for.
    codes.delete(form.get('code') ?? '');
    if (!issued || !record.pkceMatched || form.get('redirect_uri') !== issued.redirectUri)
      return sendJson(response, 400, { error: 'invalid_grant' });

    const answer = stand.script.tokenEndpoint ?? 'tokens';
    if (answer === 'hang') return;
    if (answer !== 'tokens') return sendScriptedAnswer(response, answer);
    const refreshToken = refreshTokens.issue(issued.scope);
    sendTokens(response, { scope: issued.scope, nonce: issued.nonce, refreshToken });
  }

  /** RFC 6749 §6, rotating like Entra: a new refresh token each time, the old one left valid. */
  function refresh(presented: PresentedRefreshToken, response: ServerResponse): void {
    if (presented.chain === undefined) {
      // What Entra answers for a refresh token it cannot read (never issued, or mangled).
      const { body } = entraErrorBody(
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
      return sendScriptedAnswer(response, { status: 400, headers: jsonHeaders, body });
    }
    const { chain } = presented;
    const answer = stand.script.refresh ?? 'tokens';
    if (answer === 'hang') return;
    if (typeof answer === 'object') return sendScriptedAnswer(response, answer);
    const refreshToken = answer === 'tokens' ? refreshTokens.issue(chain.scope, chain) : null;
    sendTokens(response, { scope: chain.scope, nonce: undefined, refreshToken });
  }

  /** A successful token response (RFC 6749 §5.1) shaped like Entra's, every token recorded as a secret. */
  function sendTokens(response: ServerResponse, { scope, nonce, refreshToken }: TokenAnswer): void {
    // Entra sends an ID token only to a grant that asked for `openid`.
    const idToken = scope.split(' ').includes('openid') ? idTokenFor(nonce) : null;
    const accessToken = randomBytes(32).toString('base64url');
    stand.issuedSecrets.push(accessToken);
    for (const secret of [refreshToken, idToken])
      if (secret !== null) stand.issuedSecrets.push(secret);
    const lifetime = stand.script.accessTokenLifetimeSeconds ?? 3600;
    accessTokens.set(accessToken, {
      sub: stand.user.sub,
      scope,
      clientId: stand.clientId,
      expiresAt: Math.floor(Date.now() / 1000) + lifetime,
    });
    sendJson(response, 200, {
      token_type: 'Bearer',
      scope,
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
      ...(idToken === null ? {} : { id_token: idToken }),
    });
  }

  function idTokenFor(nonce: string | undefined): string | null {
    const tid = stand.script.tenantId ?? tenantId;
    // Single-tenant, `iss` stays the server's own whatever `tid` says; multi-tenant, it is `tid`'s.
    const issuerTenant = stand.script.issuerTenantId ?? (multiTenant ? tid : tenantId);
    return buildIdToken(stand.script.idToken ?? 'valid', {
      issuer: `${origin}/${issuerTenant}/v2.0`,
      clientId: stand.clientId,
      nonce,
      tenantId: tid,
      key,
      foreignKey,
      user: stand.user,
    });
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', origin);
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    if (route === `GET ${paths.discovery}`) return sendJson(response, 200, discovery);
    if (route === `GET ${paths.keys}`) return sendJson(response, 200, { keys: [key.jwk] });
    if (route === `GET ${paths.authorize}`) return authorize(url, response);
    if (route === `POST ${paths.token}`) {
      return void token(request, response).catch(() => {
        if (!response.headersSent) sendJson(response, 500, { error: 'server_error' });
      });
    }
    sendJson(response, 404, { error: 'not_found' });
  });
  return stand;
}
