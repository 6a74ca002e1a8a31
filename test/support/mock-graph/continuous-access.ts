// Graph's continuous access evaluation, played: after a critical event, a user's earlier tokens get a claims challenge.
import type { ServerResponse } from 'node:http';
import { sendJson } from './responses.ts';

/**
 * How the challenge is spelled. `quoted` is RFC 6750 §3 syntax; `unquoted` is what a real capture
 * held — `authorization_uri` without quotes, which strict parsers (oauth4webapi's) reject;
 * `bare-error` leaves `error` unquoted as well.
 */
export type ChallengeStyle = 'quoted' | 'unquoted' | 'bare-error';

export interface ContinuousAccessEvent {
  readonly challengeStyle: ChallengeStyle;
  /** Replaces the challenge's `claims` value as sent (e.g. a hostile one); default: Graph's own. */
  readonly encodedClaims?: string;
}

interface Revocation {
  /** Seconds: tokens issued before this second are refused (Graph's `TokenIssuedBeforeRevocationTimestamp`). */
  readonly notBefore: number;
  readonly event: ContinuousAccessEvent;
}

/** Graph's body for a token continuous access evaluation refused. */
export const continuousAccessBody = {
  error: {
    code: 'InvalidAuthenticationToken',
    message:
      'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
  },
};

/** The claims Graph asks for: a token whose `nbf` is not before the event (base64 of the JSON, as Graph sends it). */
export function revocationClaims(notBefore: number): string {
  const claims = { access_token: { nbf: { essential: true, value: String(notBefore) } } };
  return Buffer.from(JSON.stringify(claims)).toString('base64');
}

export function claimsChallengeHeader(style: ChallengeStyle, encodedClaims: string): string {
  const authorizationUri = 'https://login.microsoftonline.com/common/oauth2/authorize';
  const uri = style === 'quoted' ? `"${authorizationUri}"` : authorizationUri;
  const error = style === 'bare-error' ? 'insufficient_claims' : '"insufficient_claims"';
  return `Bearer realm="", authorization_uri=${uri}, error=${error}, claims="${encodedClaims}"`;
}

/** Per subject: the latest critical event (password reset, account disabled, location change…). */
export class ContinuousAccess {
  readonly #revocations = new Map<string, Revocation>();

  /**
   * From the next whole second on, tokens of `subject` issued before it are answered with a claims
   * challenge; a token issued later (a new interactive sign-in) passes.
   */
  revoke(subject: string, event: ContinuousAccessEvent): { notBefore: number } {
    const notBefore = Math.floor(Date.now() / 1000) + 1;
    this.#revocations.set(subject, { notBefore, event });
    return { notBefore };
  }

  /** True when it answered: the token was issued before its subject's event. */
  challenged(
    token: { sub: string; issuedAt?: number | undefined },
    response: ServerResponse,
  ): boolean {
    const revocation = this.#revocations.get(token.sub);
    if (revocation === undefined) return false;
    if (token.issuedAt !== undefined && token.issuedAt >= revocation.notBefore) return false;
    const encodedClaims = revocation.event.encodedClaims ?? revocationClaims(revocation.notBefore);
    sendJson(response, 401, continuousAccessBody, {
      'www-authenticate': claimsChallengeHeader(revocation.event.challengeStyle, encodedClaims),
    });
    return true;
  }

  clear(): void {
    this.#revocations.clear();
  }
}
