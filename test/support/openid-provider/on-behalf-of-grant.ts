// The stand-in's On-Behalf-Of grant: Entra's jwt-bearer grant with requested_token_use=on_behalf_of, registered with oidc-provider.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { accountIdFromLoginHint } from './accounts.ts';
import type { SigningKey } from './configuration.ts';
import type { OidcProvider, ProviderContext } from './oidc-provider-module.ts';
import { signSsoToken, type SsoTokenOptions } from './sso-tokens.ts';

export type { SsoTokenOptions } from './sso-tokens.ts';

/** RFC 7523 §2.1: the grant type Entra's On-Behalf-Of flow is sent with. */
export const jwtBearerGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** What one On-Behalf-Of request carried (the client is the one that authenticated). */
export interface OnBehalfOfRequestRecord {
  readonly assertion: string;
  readonly requestedTokenUse: string | null;
  readonly scope: string | null;
  readonly clientId: string;
  /** The `claims` request parameter (client capabilities), as sent; null when absent. */
  readonly claims: string | null;
}

/** How the next On-Behalf-Of request is answered instead of issuing tokens (providers.md "On-Behalf-Of"). */
export type OnBehalfOfFailure =
  | { readonly error: 'interaction_required'; readonly claims: string }
  | { readonly error: 'consent_required' }
  | { readonly error: 'unavailable' }
  | { readonly error: 'invalid_client' };

export interface OnBehalfOfGrant {
  /** Every On-Behalf-Of request that reached the token endpoint, in order. */
  readonly requests: OnBehalfOfRequestRecord[];
  /** The next On-Behalf-Of request gets this answer (once); later ones are answered normally. */
  failNext(failure: OnBehalfOfFailure): void;
  /** An SSO token as Office's `getAccessToken` returns it: an Entra v2 access token for the gateway's API. */
  issueSsoToken(options?: SsoTokenOptions): Promise<string>;
}

interface GrantContext extends ProviderContext {
  oidc: ProviderContext['oidc'] & {
    params: Record<string, unknown>;
    client: { clientId: string };
  };
}

/** The oidc-provider models the handler creates (the package has no type declarations). */
interface TokenModels {
  registerGrantType(
    name: string,
    handler: (context: GrantContext) => Promise<void>,
    parameters: string[],
  ): void;
  Grant: new (properties: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
  AccessToken: new (properties: Record<string, unknown>) => {
    save(): Promise<string>;
    readonly expiration: number;
  };
  RefreshToken: new (properties: Record<string, unknown>) => { save(): Promise<string> };
}

export function registerOnBehalfOfGrant(context: {
  provider: OidcProvider;
  issuer: string;
  tenantId: string;
  clientId: string;
  signingKey: SigningKey;
  /** The scopes the provider knows: others are left out of what it grants. */
  knownScopes: readonly string[];
}): OnBehalfOfGrant {
  const requests: OnBehalfOfRequestRecord[] = [];
  const failures: OnBehalfOfFailure[] = [];
  const models = context.provider as unknown as TokenModels;
  const { n, e } = context.signingKey.privateJwk;
  // The public half of the provider's key: what Entra checks an assertion against.
  const publicKey = jose.importJWK({ kty: 'RSA', n, e }, 'RS256');

  async function handle(ctx: GrantContext): Promise<void> {
    const { params, client } = ctx.oidc;
    const text = (name: string) => (typeof params[name] === 'string' ? params[name] : null);
    const assertion = text('assertion') ?? '';
    requests.push({
      assertion,
      requestedTokenUse: text('requested_token_use'),
      scope: text('scope'),
      clientId: client.clientId,
      claims: text('claims'),
    });
    const failure = failures.shift();
    if (failure !== undefined) return answerFailure(ctx, failure);
    if (text('requested_token_use') !== 'on_behalf_of')
      return answerError(ctx, 400, 'invalid_request', 'AADSTS50034: requested_token_use', 50034);
    const subject = await verifiedSubject(assertion, client.clientId);
    if (typeof subject !== 'string')
      return answerError(ctx, 400, 'invalid_grant', subject.description, subject.code);
    const scopes = (text('scope') ?? '')
      .split(' ')
      .filter((scope) => context.knownScopes.includes(scope));
    if (scopes.length === 0)
      return answerError(ctx, 400, 'invalid_scope', 'AADSTS70011: scope', 70011);
    ctx.body = await issueTokens(subject, client, scopes.join(' '));
  }

  /** Like Entra: signed by this tenant's key, issued by it, for the requesting client, not expired. */
  async function verifiedSubject(
    assertion: string,
    clientId: string,
  ): Promise<string | { code: number; description: string }> {
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(assertion, await publicKey, {
        issuer: context.issuer,
        algorithms: ['RS256'],
      }));
    } catch (error) {
      return error instanceof jose.errors.JWTExpired
        ? {
            code: 500133,
            description: 'AADSTS500133: Assertion is not within its valid time range.',
          }
        : { code: 50013, description: 'AADSTS50013: Assertion failed signature validation.' };
    }
    const audience = payload.aud;
    const forThisClient =
      audience === clientId ||
      (typeof audience === 'string' &&
        audience.startsWith('api://') &&
        audience.endsWith(`/${clientId}`));
    if (!forThisClient)
      return {
        code: 50013,
        description: 'AADSTS50013: Assertion audience does not match the client.',
      };
    const subject = typeof payload.sub === 'string' ? payload.sub : '';
    if (accountIdFromLoginHint(subject) !== subject)
      return { code: 50034, description: 'AADSTS50034: The user account does not exist.' };
    return subject;
  }

  async function issueTokens(accountId: string, client: { clientId: string }, scope: string) {
    const grant = new models.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const common = { accountId, client, grantId, gty: 'on_behalf_of', scope };
    const accessToken = new models.AccessToken(common);
    const accessTokenValue = await accessToken.save();
    // Entra returns a refresh token only when offline_access was asked for; later refreshes use the
    // ordinary refresh_token grant.
    const refreshToken = scope.split(' ').includes('offline_access')
      ? await new models.RefreshToken({ ...common, rotations: 0 }).save()
      : undefined;
    return {
      token_type: 'Bearer',
      scope,
      expires_in: accessToken.expiration,
      ext_expires_in: accessToken.expiration,
      access_token: accessTokenValue,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
  }

  models.registerGrantType(jwtBearerGrantType, handle, [
    'assertion',
    'requested_token_use',
    'scope',
    'claims',
  ]);

  return {
    requests,
    failNext: (failure) => void failures.push(failure),
    issueSsoToken: (options = {}) => signSsoToken(context, options),
  };
}

/** Entra's error answers, shaped as providers.md records them. */
function answerFailure(ctx: GrantContext, failure: OnBehalfOfFailure): void {
  switch (failure.error) {
    case 'interaction_required':
      answerError(
        ctx,
        400,
        'interaction_required',
        'AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.',
        50079,
        { claims: failure.claims },
      );
      return;
    case 'consent_required':
      answerError(
        ctx,
        400,
        'invalid_grant',
        'AADSTS65001: The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.',
        65001,
        { suberror: 'consent_required' },
      );
      return;
    case 'invalid_client':
      answerError(
        ctx,
        401,
        'invalid_client',
        'AADSTS7000215: Invalid client secret provided.',
        7000215,
      );
      return;
    case 'unavailable':
      answerError(
        ctx,
        503,
        'temporarily_unavailable',
        'AADSTS90033: A transient error has occurred.',
        90033,
      );
  }
}

function answerError(
  ctx: GrantContext,
  status: number,
  error: string,
  description: string,
  code: number,
  extra: Record<string, unknown> = {},
): void {
  ctx.status = status;
  ctx.type = 'json';
  ctx.body = {
    error,
    error_description: description,
    error_codes: [code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
    ...extra,
  };
}
