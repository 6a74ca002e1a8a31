// An OpenID provider stand-in on loopback whose answers a test scripts, single- or Entra-multi-tenant: the failures a well-behaved provider never produces.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  buildIdToken,
  discoveryDocument,
  generateSigningKey,
  type AuthorizationRequestRecord,
  type Script,
  type TokenRequestRecord,
} from './scripted-authorization-server-script.ts';

export {
  tokenEndpointFailures,
  type AuthorizationAnswer,
  type AuthorizationRequestRecord,
  type IdTokenVariant,
  type Script,
  type ScriptedHttpAnswer,
  type TokenRequestRecord,
} from './scripted-authorization-server-script.ts';

export interface ScriptedAuthorizationServerOptions {
  /** Entra's `organizations` endpoints: discovery names the issuer `…/{tenantid}/v2.0`, each ID token its tenant's. */
  readonly multiTenant?: boolean;
}

export interface ScriptedAuthorizationServer {
  /** `http://127.0.0.1:${port}/${tenantId}/v2.0`: an issuer with a path, like Entra's (multi-tenant: the own tenant's). */
  readonly issuer: string;
  /** What the gateway is configured with (GRAPH_ISSUER): `issuer`, or `…/organizations/v2.0` when multi-tenant. */
  readonly discoveryIssuer: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly user: { readonly sub: string; readonly name: string; readonly email: string };
  /** Read at each request, so a test sets it before the login it scripts. */
  script: Script;
  readonly authorizationRequests: AuthorizationRequestRecord[];
  readonly tokenRequests: TokenRequestRecord[];
  /** Every code, ID token, access token and refresh token handed out: none may ever reach a log. */
  readonly issuedSecrets: string[];
  /** Closes the listener and every connection, the hung ones included. */
  close(): Promise<void>;
}

interface IssuedCode {
  readonly codeChallenge: string | null;
  readonly nonce: string | undefined;
  readonly redirectUri: string;
}

export async function startScriptedAuthorizationServer({
  multiTenant = false,
}: ScriptedAuthorizationServerOptions = {}): Promise<ScriptedAuthorizationServer> {
  const tenantId = randomUUID();
  const key = generateSigningKey();
  const foreignKey = generateSigningKey();
  const codes = new Map<string, IssuedCode>();
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  const origin = `http://127.0.0.1:${address.port}`;
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
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  const discovery = discoveryDocument(origin, paths, multiTenant ? null : stand.issuer);

  /** RFC 6749 §4.1.2: back to `redirect_uri` at once, with whatever the script says instead of a login page. */
  function authorize(url: URL, response: ServerResponse): void {
    const query = url.searchParams;
    const redirectUri = query.get('redirect_uri');
    stand.authorizationRequests.push({
      clientId: query.get('client_id'),
      redirectUri,
      state: query.get('state'),
      nonce: query.get('nonce'),
      codeChallenge: query.get('code_challenge'),
      codeChallengeMethod: query.get('code_challenge_method'),
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

  /** RFC 6749 §4.1.3 with §2.3.1 client authentication and RFC 7636 §4.6 PKCE, then the scripted answer. */
  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(request));
    const basic = parseBasic(request.headers.authorization);
    const credentials = basic ?? {
      clientId: form.get('client_id'),
      clientSecret: form.get('client_secret'),
    };
    const issued = codes.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier');
    const record: TokenRequestRecord = {
      grantType: form.get('grant_type'),
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
    };
    stand.tokenRequests.push(record);
    if (!record.clientAuthenticated) return sendJson(response, 401, { error: 'invalid_client' });
    if (record.grantType !== 'authorization_code')
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    // Codes are single use (RFC 6749 §4.1.2) and bound to the redirect URI they were issued for.
    codes.delete(form.get('code') ?? '');
    if (!issued || !record.pkceMatched || form.get('redirect_uri') !== issued.redirectUri)
      return sendJson(response, 400, { error: 'invalid_grant' });

    const answer = stand.script.tokenEndpoint ?? 'tokens';
    if (answer === 'hang') return;
    if (answer !== 'tokens') {
      response.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers });
      return void response.end(answer.body);
    }
    const tid = stand.script.tenantId ?? tenantId;
    // Single-tenant, `iss` stays the server's own whatever `tid` says; multi-tenant, it is `tid`'s.
    const issuerTenant = stand.script.issuerTenantId ?? (multiTenant ? tid : tenantId);
    const idToken = buildIdToken(stand.script.idToken ?? 'valid', {
      issuer: `${origin}/${issuerTenant}/v2.0`,
      clientId: stand.clientId,
      nonce: issued.nonce,
      tenantId: tid,
      key,
      foreignKey,
      user: stand.user,
    });
    const accessToken = randomBytes(32).toString('base64url');
    const refreshToken = randomBytes(48).toString('base64url');
    stand.issuedSecrets.push(accessToken, refreshToken, ...(idToken === null ? [] : [idToken]));
    sendJson(response, 200, {
      token_type: 'Bearer',
      scope: 'openid profile email offline_access User.Read',
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: accessToken,
      refresh_token: refreshToken,
      ...(idToken === null ? {} : { id_token: idToken }),
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

/** RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding. */
function parseBasic(header: string | undefined): { clientId: string; clientSecret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    clientSecret: formDecode(decoded.slice(colon + 1)),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    })
    .end(JSON.stringify(body));
}
