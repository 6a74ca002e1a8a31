// The pending-login cookie: binds a login's `state` to the browser that started it (RFC 9700 §4.7.1).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CookieSealer } from './cookie-sealer.ts';
import { pendingLoginTtlSeconds } from './pending-logins.ts';
import type { CookieAttributes } from './session-cookie.ts';

export interface LoginCookie {
  /** One cookie per login, named after its state, so two tabs signing in at once do not clobber each other. */
  name(state: string): string;
  attributes(): CookieAttributes;
  seal(state: string): Promise<string>;
  /** True when the cookie value is a seal of exactly this state. */
  matches(value: string | undefined, state: string): Promise<boolean>;
}

const statePattern = /^[A-Za-z0-9_-]{22,128}$/;

/** Whether a `state` query value has the shape this gateway issues (checked before any lookup). */
export function isPlausibleState(state: string | undefined): state is string {
  return state !== undefined && statePattern.test(state);
}

export function createLoginCookie(options: { sealer: CookieSealer; secure: boolean }): LoginCookie {
  const { sealer, secure } = options;
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
    seal: (state) => sealer.seal({ state }, pendingLoginTtlSeconds),
    async matches(value, state) {
      if (value === undefined) return false;
      const data = await sealer.unseal(value, pendingLoginTtlSeconds);
      const sealedState = data?.state;
      if (typeof sealedState !== 'string' || sealedState.length !== state.length) return false;
      return timingSafeEqual(Buffer.from(sealedState), Buffer.from(state));
    },
  };
}
