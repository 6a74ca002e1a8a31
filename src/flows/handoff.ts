// Handoff sign-in (contract §6): the start request and its login URL, and the redemption that joins the app context's session.
import { GatewayError } from '../errors/gateway-error.ts';
import type { HandoffCodes, HandoffLogin } from '../session/handoff-codes.ts';
import { isPlausibleHandoffCode } from '../session/handoff-codes.ts';
import type { PendingHandoff } from '../session/handoff-cookie.ts';
import type { SessionRepository } from '../session/session-repository.ts';
import { validateReturnTo } from './return-to.ts';

export interface HandoffRequest {
  /** The provider named in the body, not yet checked against the enabled ones. */
  readonly provider: string;
  /** An absolute URL on PUBLIC_URL's origin, validated like the login's `return_to`. */
  readonly returnTo: string;
}

const invalidRequest = (message: string): GatewayError =>
  new GatewayError(400, 'invalid_request', message);

/**
 * Every refusal of a redemption looks alike (absent, expired, used, another context's, malformed):
 * telling them apart would only help someone probing for live codes.
 */
export function invalidHandoff(): GatewayError {
  return new GatewayError(
    400,
    'invalid_handoff',
    'the handoff code is invalid, expired, already used, or was not started in this context',
  );
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** `POST /auth/handoff` body: `{ "provider": "graph", "return_to"?: "/path" }`. */
export function parseHandoffRequest(body: unknown, publicOrigin: string): HandoffRequest {
  const { provider, return_to: returnTo } = asObject(body);
  if (typeof provider !== 'string' || provider === '')
    throw invalidRequest('provider must be a non-empty string');
  if (returnTo !== undefined && typeof returnTo !== 'string')
    throw invalidRequest('return_to must be a string');
  return { provider, returnTo: validateReturnTo(returnTo, publicOrigin) };
}

/** The sign-in window's start: the login endpoint in handoff mode, relative like every `login_url`. */
export function handoffLoginUrl(
  provider: string,
  handoffId: string,
  returnTo: string,
  publicOrigin: string,
): string {
  const query = new URLSearchParams({
    mode: 'handoff',
    handoff_id: handoffId,
    // Back to a path: validateReturnTo answered an absolute URL on PUBLIC_URL's origin.
    return_to: returnTo.slice(publicOrigin.length),
  });
  return `/auth/login/${encodeURIComponent(provider)}?${query.toString()}`;
}

/** `POST /auth/handoff/redeem` body: `{ "code": "<43 base64url characters>" }`. */
export function parseRedeemRequest(body: unknown): string {
  const { code } = asObject(body);
  if (typeof code !== 'string') throw invalidRequest('code must be a string');
  // A code of another shape was never issued: refused before any store lookup.
  if (!isPlausibleHandoffCode(code)) throw invalidHandoff();
  return code;
}

/**
 * Takes the login the code names, if THIS context holds the handoff cookie it is bound to, and
 * commits it like a callback would: joined to the context's live session (if any) under a NEW
 * session id (session fixation defence, RFC 9700 §4.2), or as a new session.
 */
export async function redeemHandoff(
  deps: { readonly handoffCodes: HandoffCodes; readonly sessions: SessionRepository },
  handoff: PendingHandoff | null,
  code: string,
  currentSessionId: string | null,
): Promise<{ sessionId: string; login: HandoffLogin }> {
  // Threat: a code stolen from the sign-in window (history, a screenshot, a hostile page) redeemed
  // elsewhere. Without this context's handoff id the code's store key cannot even be computed.
  if (handoff === null) throw invalidHandoff();
  const login = await deps.handoffCodes.redeem(handoff.handoffId, code);
  if (login === null) throw invalidHandoff();
  // Mix-up defence: the window signed in to the provider this context asked for, or nothing happens.
  if (login.provider !== handoff.provider) throw invalidHandoff();
  const previous =
    currentSessionId === null ? null : await deps.sessions.loadSnapshot(currentSessionId);
  const sessionId = await deps.sessions.commitLogin({
    previous,
    provider: login.provider,
    tokens: login.tokens,
    user: login.user,
  });
  return { sessionId, login };
}
