// Sign-in for hosts whose sign-in window has its own cookies (Office dialogs, Teams windows): handoff codes and Office SSO (contract §6).
import { callAuthEndpoint } from './auth-call.ts';
import { HandoffRefusedError, SsoTokenRefusedError, UnexpectedResponseError } from './errors.ts';
import { checkProvider } from './gateway-location.ts';
import { isGatewayLoginUrl } from './login-url.ts';
import { problemTypes, reauthErrorOf, type GatewayContext } from './provider-fetch.ts';
import type { HandoffStart, SignInResult } from './types.ts';

/** A handoff code: base64url, at least 128 bits (22 characters), bounded so no page can smuggle more. */
const handoffCodeFormat = /^[A-Za-z0-9_-]{22,128}$/;
/** The sign-in window's fragment member that carries the code (contract §6). */
const handoffCodeMember = 'bff_handoff_code';

/**
 * The handoff code in a URL fragment (default this page's), or null when there is none or it is
 * not a well-formed code. A fragment never reaches a server; the page should pass the code to its
 * parent (Office `messageParent`, Teams `notifySuccess`) and then clear it from the address bar.
 */
export function readHandoffCode(hash: string = globalThis.location?.hash ?? ''): string | null {
  const members = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const codes = members.getAll(handoffCodeMember);
  // Two codes in one fragment are not something the gateway writes: refuse rather than pick one.
  if (codes.length !== 1) return null;
  const code = codes[0] ?? '';
  return handoffCodeFormat.test(code) ? code : null;
}

/** Step 1, in the app's context: the gateway sets the handoff cookie here and names the sign-in URL. */
export async function startHandoff(
  context: GatewayContext,
  provider: string,
  options: { readonly returnTo?: string } = {},
): Promise<HandoffStart> {
  checkProvider(provider);
  const body = await callAuthEndpoint(context, {
    method: 'POST',
    path: '/auth/handoff',
    json: { provider, ...(options.returnTo === undefined ? {} : { return_to: options.returnTo }) },
  });
  const handoffId = body.handoff_id;
  const offered = body.login_url;
  if (typeof handoffId !== 'string' || typeof offered !== 'string' || !offered.startsWith('/')) {
    throw new UnexpectedResponseError('POST /auth/handoff', 200, null);
  }
  const loginUrl = context.gateway.absolute(offered);
  if (!isGatewayLoginUrl(context.gateway, loginUrl)) {
    throw new UnexpectedResponseError('POST /auth/handoff', 200, null);
  }
  return { handoffId, loginUrl: loginUrl.href };
}

/** Step 3, in the app's context again: the provider joins this context's session. */
export async function redeemHandoff(context: GatewayContext, code: string): Promise<SignInResult> {
  // A malformed code is refused here, before it travels anywhere.
  if (!handoffCodeFormat.test(code)) throw new HandoffRefusedError();
  const body = await callAuthEndpoint(context, {
    method: 'POST',
    path: '/auth/handoff/redeem',
    json: { code },
    onProblem(problem) {
      if (problem.type === 'urn:bff:invalid-handoff') throw new HandoffRefusedError();
    },
  });
  return signInResultOf(body, 'POST /auth/handoff/redeem');
}

/**
 * Office single sign-on: the add-in's SSO token (`Office.auth.getAccessToken()`) is exchanged by
 * the gateway (On-Behalf-Of) for Graph tokens. When Entra wants an interactive step the answer is a
 * ReauthRequiredError whose loginUrl is the popup sign-in (the add-in opens it in a dialog).
 */
export async function signInWithOfficeSso(
  context: GatewayContext,
  token: string,
): Promise<SignInResult> {
  // A JWT is three base64url parts: anything else (a space, a newline) could break the header.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
    throw new SsoTokenRefusedError();
  }
  const body = await callAuthEndpoint(context, {
    method: 'POST',
    path: '/auth/sso/graph',
    headers: { Authorization: `Bearer ${token}` },
    onProblem(problem) {
      if (problem.type === problemTypes.reauthRequired) {
        throw reauthErrorOf(problem, 'graph', context.gateway);
      }
      if (problem.type === 'urn:bff:invalid-sso-token') throw new SsoTokenRefusedError();
    },
  });
  return signInResultOf(body, 'POST /auth/sso/graph');
}

function signInResultOf(body: Record<string, unknown>, what: string): SignInResult {
  if (body.ok !== true || typeof body.provider !== 'string') {
    throw new UnexpectedResponseError(what, 200, null);
  }
  return { provider: body.provider, ok: true };
}
