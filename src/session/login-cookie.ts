// The pending-login cookie: carries the sealed pending login and binds its `state` to the browser that started it (RFC 9700 §4.7.1).
import { createHash, timingSafeEqual } from 'node:crypto';
import { providerIds, type ProviderId } from '../config/types.ts';
import type { CookieSealer } from './cookie-sealer.ts';
import {
  loginModes,
  pendingLoginTtlSeconds,
  type LoginMode,
  type PendingLogin,
} from './pending-logins.ts';
import type { CookieAttributes } from './session-cookie.ts';

export interface LoginCookie {
  /** One cookie per login, named after its state, so two tabs signing in at once do not clobber each other. */
  name(state: string): string;
  attributes(): CookieAttributes;
  /** Seals the pending login, with its state, for the browser: it can neither read nor alter it. */
  seal(state: string, pending: PendingLogin): Promise<string>;
  /** The pending login sealed in `value` for exactly this state; null when absent, forged, expired or another state's. */
  open(value: string | undefined, state: string): Promise<PendingLogin | null>;
  /**
   * Of the login cookies a browser sent (in the order sent), those to expire before one more is
   * set: abandoned logins must not pile up until the Cookie header exceeds the server's limit.
   */
  namesToExpire(sentCookieNames: readonly string[]): string[];
}

/** At most this many logins in flight per browser (several tabs); older ones are abandoned. */
const maximumPendingLogins = 3;
const statePattern = /^[A-Za-z0-9_-]{22,128}$/;

/** Whether a `state` query value has the shape this gateway issues (checked before any lookup). */
export function isPlausibleState(state: string | undefined): state is string {
  return state !== undefined && statePattern.test(state);
}

export function createLoginCookie(options: {
  sealer: CookieSealer;
  secure: boolean;
  now: () => number;
}): LoginCookie {
  const { sealer, secure, now } = options;
  const prefix = secure ? '__Host-bff-login-' : 'bff-login-';
  return {
    name: (state) => prefix + createHash('sha256').update(state).digest('base64url').slice(0, 16),
    attributes: () => ({
      httpOnly: true,
      secure,
      // Lax: the callback is a cross-site top-level navigation from the authorization server.
      sameSite: 'Lax',
      path: '/',
      maxAgeSeconds: pendingLoginTtlSeconds,
    }),
    seal: (state, pending) =>
      sealer.seal(
        {
          state,
          // Checked here too: iron-session tolerates 60 s of clock skew past a seal's own expiry.
          expiresAt: String(now() + pendingLoginTtlSeconds * 1000),
          provider: pending.provider,
          codeVerifier: pending.codeVerifier,
          nonce: pending.nonce ?? '',
          returnTo: pending.returnTo,
          mode: pending.mode,
          joinSessionId: pending.joinSessionId ?? '',
          handoffId: pending.handoffId ?? '',
        },
        pendingLoginTtlSeconds,
      ),
    async open(value, state) {
      if (value === undefined) return null;
      const data = await sealer.unseal(value, pendingLoginTtlSeconds);
      if (data === null || !sameState(data.state, state)) return null;
      if (!(Number(data.expiresAt) > now())) return null;
      return pendingLoginFrom(data);
    },
    namesToExpire(sentCookieNames) {
      const pending = sentCookieNames.filter((name) => name.startsWith(prefix));
      return pending.slice(0, Math.max(0, pending.length - (maximumPendingLogins - 1)));
    },
  };
}

function sameState(sealed: unknown, state: string): boolean {
  if (typeof sealed !== 'string' || sealed.length !== state.length) return false;
  return timingSafeEqual(Buffer.from(sealed), Buffer.from(state));
}

/** The seal is authenticated, so this only guards against a seal of another shape (an older version). */
function pendingLoginFrom(data: Record<string, unknown>): PendingLogin | null {
  const { provider, codeVerifier, nonce, returnTo, mode, joinSessionId } = data;
  // Absent in a cookie sealed before handoff mode existed: a login in flight across an upgrade still completes.
  const handoffId = data.handoffId ?? '';
  if (
    typeof provider !== 'string' ||
    !providerIds.includes(provider as ProviderId) ||
    typeof codeVerifier !== 'string' ||
    typeof nonce !== 'string' ||
    typeof returnTo !== 'string' ||
    typeof mode !== 'string' ||
    !(loginModes as readonly string[]).includes(mode) ||
    typeof joinSessionId !== 'string' ||
    typeof handoffId !== 'string' ||
    // A handoff login always names its handoff id, and only a handoff login does.
    (mode === 'handoff') !== (handoffId !== '')
  ) {
    return null;
  }
  return {
    provider: provider as ProviderId,
    codeVerifier,
    nonce: nonce === '' ? null : nonce,
    returnTo,
    mode: mode as LoginMode,
    joinSessionId: joinSessionId === '' ? null : joinSessionId,
    handoffId: handoffId === '' ? null : handoffId,
  };
}
