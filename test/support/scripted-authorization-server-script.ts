// What a test scripts on the stand-in and reads back (the server's shape, answers, records), and how answers are built: discovery, keys, JWTs, hostile ID tokens.
import {
  createSign,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import type { ScriptedHttpAnswer as HttpAnswer } from './http-helpers.ts';

/** How the ID token in a successful token response is built: `valid`, or one way a hostile provider breaks it. */
export type IdTokenVariant =
  | 'valid'
  | 'bad-signature'
  | 'unknown-kid'
  | 'alg-none'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'wrong-nonce'
  | 'no-nonce'
  | 'expired'
  | 'issued-in-future'
  | 'missing-id-token';

/** What the authorization endpoint sends back instead of a plain `code` + `state` + `iss`. */
export type AuthorizationAnswer =
  | 'code'
  | 'no-code'
  /** RFC 9207 mix-up: a code, but an `iss` naming another issuer. */
  | { readonly iss: string }
  /** An error response (RFC 6749 §4.1.2.1) instead of a code. */
  | { readonly error: string; readonly errorDescription?: string };

/** Set before a login; every field is optional and defaults to a well-behaved answer. */
export interface Script {
  /** Default `code`. */
  readonly authorization?: AuthorizationAnswer;
  /** The code exchange's answer. Default `tokens`; `hang` accepts the request and never answers. */
  readonly tokenEndpoint?: 'tokens' | 'hang' | ScriptedHttpAnswer;
  /**
   * A refresh's answer once the refresh token checked out. Default `tokens` (a rotated refresh
   * token); `tokens-without-refresh-token` omits it; `hang` never answers.
   */
  readonly refresh?: 'tokens' | 'tokens-without-refresh-token' | 'hang' | ScriptedHttpAnswer;
  /** `expires_in` of every token answer. Default 3600 (Entra: 60–90 minutes, random). */
  readonly accessTokenLifetimeSeconds?: number;
  /** The ID token in `tokens` answers (a refresh's carries no nonce). Default `valid`. */
  readonly idToken?: IdTokenVariant;
  /** The ID token's `tid` (multi-tenant, also the tenant its `iss` names). Default: the server's own tenant. */
  readonly tenantId?: string;
  /** The tenant the ID token's `iss` names instead, e.g. another than its `tid` (tenants mixed up). */
  readonly issuerTenantId?: string;
}

export interface AuthorizationRequestRecord {
  readonly clientId: string | null;
  readonly redirectUri: string | null;
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: string | null;
}

/** What a token request carried: enough to assert on, never the secret or the verifier themselves. */
export interface TokenRequestRecord {
  readonly grantType: string | null;
  readonly authMethod: 'client_secret_post' | 'client_secret_basic' | 'none';
  readonly clientAuthenticated: boolean;
  readonly hadCodeVerifier: boolean;
  /** BASE64URL(SHA-256(code_verifier)) equals the challenge the code was issued for (RFC 7636 §4.6). */
  readonly pkceMatched: boolean;
  /** For `refresh_token` grants, how the presented token stands in its chain; null otherwise. */
  readonly refreshTokenState: RefreshTokenState | null;
  /** The `claims` request parameter as sent (client capabilities, a claims challenge); null when absent. */
  readonly claims: string | null;
}

/**
 * `latest`: the last token of its chain; `superseded`: an older one, which Entra still honours
 * (a client that raced or did not store the rotated token); `unknown`: never issued here.
 */
export type RefreshTokenState = 'latest' | 'superseded' | 'unknown';

/** A token endpoint answer other than tokens: a status, headers and a raw body. */
export interface ScriptedHttpAnswer extends HttpAnswer {
  /** The body's `correlation_id` when it is Entra's: what the gateway's audit log should carry. */
  readonly correlationId?: string;
}

/**
 * The OpenID discovery document. `issuer` null: Entra's multi-tenant one, whose issuer keeps the
 * literal `{tenantid}` placeholder and which does not advertise RFC 9207 `iss`.
 */
export function discoveryDocument(
  origin: string,
  paths: { readonly authorize: string; readonly token: string; readonly keys: string },
  issuer: string | null,
): Record<string, unknown> {
  return {
    issuer: issuer ?? `${origin}/{tenantid}/v2.0`,
    authorization_endpoint: origin + paths.authorize,
    token_endpoint: origin + paths.token,
    jwks_uri: origin + paths.keys,
    response_types_supported: ['code'],
    subject_types_supported: ['pairwise'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...(issuer === null ? {} : { authorization_response_iss_parameter_supported: true }),
  };
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public JWK as published in the JWKS (`kid`, `alg: RS256`, `use: sig`). */
  readonly jwk: Record<string, unknown>;
}

export function generateSigningKey(kid = randomUUID()): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A compact JWS (RFC 7515 §7.1); `alg: none` gets an empty signature, as an attacker would send it. */
export function signJwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  privateKey: KeyObject | null,
): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  if (privateKey === null) return `${signingInput}.`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

export interface IdTokenContext {
  readonly issuer: string;
  readonly clientId: string;
  /** Undefined: no `nonce` claim, as in a refresh's ID token (OpenID Connect Core §12.2). */
  readonly nonce: string | undefined;
  readonly tenantId: string;
  readonly key: SigningKey;
  /** Published nowhere: signs the `bad-signature` (same kid) and `unknown-kid` variants. */
  readonly foreignKey: SigningKey;
  readonly user: { readonly sub: string; readonly name: string; readonly email: string };
}

/** Far beyond any clock skew a client allows (oauth4webapi: 30 s by default). */
const hour = 3600;

/** Entra v2 ID token claims (`ver`, `tid`, `oid`, `nbf` = `iat`), broken the way `variant` says. */
export function buildIdToken(variant: IdTokenVariant, context: IdTokenContext): string | null {
  if (variant === 'missing-id-token') return null;
  const now = Math.floor(Date.now() / 1000);
  const issuedAt =
    variant === 'expired' ? now - 2 * hour : variant === 'issued-in-future' ? now + hour : now;
  const claims: Record<string, unknown> = {
    ver: '2.0',
    iss:
      variant === 'wrong-issuer'
        ? context.issuer.replace(/[^/]+\/v2\.0$/, `${randomUUID()}/v2.0`)
        : context.issuer,
    aud: variant === 'wrong-audience' ? randomUUID() : context.clientId,
    sub: context.user.sub,
    oid: randomUUID(),
    tid: context.tenantId,
    name: context.user.name,
    email: context.user.email,
    preferred_username: context.user.email,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + hour,
  };
  if (variant === 'wrong-nonce') claims.nonce = randomBytes(32).toString('base64url');
  else if (variant !== 'no-nonce' && context.nonce !== undefined) claims.nonce = context.nonce;
  if (variant === 'alg-none') return signJwt({ alg: 'none', typ: 'JWT' }, claims, null);
  const signer =
    variant === 'bad-signature' || variant === 'unknown-kid' ? context.foreignKey : context.key;
  // `bad-signature` claims the published kid, so only the signature check can catch it.
  const kid = variant === 'unknown-kid' ? context.foreignKey.kid : context.key.kid;
  return signJwt({ alg: 'RS256', typ: 'JWT', kid }, claims, signer.privateKey);
}

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
  /** The refresh token issued last (code exchange or refresh): what the gateway's store should hold. */
  latestRefreshToken(): string | null;
  /** A JWT with these exact claims, signed with the published key (`typ: logout+jwt`): a logout token. */
  signLogoutToken(claims: Record<string, unknown>): string;
  /** An access token this server issued, as an API would check it (mock Graph accepts these); null otherwise. */
  introspect(
    accessToken: string,
  ): Promise<{ sub: string; scope: string; clientId: string; expiresAt: number } | null>;
  /** Closes the listener and every connection, the hung ones included. */
  close(): Promise<void>;
}
