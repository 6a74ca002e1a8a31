// Koa middleware that makes oidc-provider's own routes answer like Entra, and records every token request.
import type { IncomingHttpHeaders } from 'node:http';
import { readBody } from '../http-helpers.ts';
import type { ProviderContext } from './oidc-provider-module.ts';

export interface TokenRequestRecord {
  grantType: string;
  clientAuthentication: 'basic' | 'post' | 'none';
}

/**
 * oidc-provider drops `offline_access` unless `prompt` holds `consent` (OpenID Connect Core §11);
 * Entra issues a refresh token without it, so the stand-in asks for consent itself, which the
 * automatic interaction grants. `prompt=none` is left alone.
 */
export function keepOfflineAccess(authorizationPath: string) {
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

/**
 * Records token requests and every token issued (so tests can look for them in logs), refuses
 * Origin like Entra, and shapes discovery like Entra's.
 */
export function recordAndShapeResponses(
  tokenPath: string,
  tokenRequests: TokenRequestRecord[],
  issuedSecrets: string[],
) {
  return async (context: ProviderContext, next: () => Promise<void>): Promise<void> => {
    if (context.method === 'POST' && context.path === tokenPath && context.headers.origin) {
      // Entra refuses cross-origin redemption for "Web" clients (AADSTS9002326).
      const parameters = new URLSearchParams(await readBody(context.req));
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
    if (route === 'token') {
      tokenRequests.push(
        describeTokenRequest(context.headers, params?.grant_type, params?.client_secret),
      );
      recordIssuedTokens(context.body, issuedSecrets);
    }
    if (route === 'discovery' && typeof context.body === 'object' && context.body !== null)
      // Entra's document has no code_challenge_methods_supported (PKCE S256 works anyway).
      delete (context.body as Record<string, unknown>).code_challenge_methods_supported;
  };
}

/** What a token request looked like, without its secrets. */
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

function recordIssuedTokens(body: unknown, issuedSecrets: string[]): void {
  if (typeof body !== 'object' || body === null) return;
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    const value = (body as Record<string, unknown>)[name];
    if (typeof value === 'string') issuedSecrets.push(value);
  }
}
