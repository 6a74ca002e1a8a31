// The handoff cookie: the app context's sealed proof that it started a handoff sign-in (contract §6); nothing is stored.
import { randomBytes } from 'node:crypto';
import { providerIds, type ProviderId } from '../config/types.ts';
import type { CookieSealer } from './cookie-sealer.ts';
import type { CookieAttributes } from './session-cookie.ts';

/** A handoff started in the app's context: the id its code will be bound to, for one provider. */
export interface PendingHandoff {
  readonly handoffId: string;
  readonly provider: ProviderId;
  /** Epoch milliseconds after which the handoff cookie no longer redeems anything. */
  readonly expiresAtMs: number;
}

export interface HandoffCookie {
  readonly name: string;
  attributes(): CookieAttributes;
  /** Starts a handoff: a fresh id, sealed with its provider and expiry so the browser can neither read nor alter it. */
  start(provider: ProviderId): Promise<{ handoff: PendingHandoff; value: string }>;
  /** The handoff sealed in `value`; null when absent, forged, tampered, expired or of another shape. */
  open(value: string | undefined): Promise<PendingHandoff | null>;
}

/** Long enough for a user to sign in in the window, like a pending login (contract §3: 10 minutes). */
export const handoffTtlSeconds = 600;
/**
 * Every seal of this gateway uses the same secrets: this member tells a handoff cookie's seal from
 * a pending-login cookie's, which also carries a handoff id, a provider and an expiry.
 */
const purpose = 'handoff';
/** 32 random bytes, base64url: 43 characters, 256 bits. */
const handoffIdPattern = /^[A-Za-z0-9_-]{43}$/;

/** Whether a `handoff_id` has the shape this gateway issues (checked before it is used anywhere). */
export function isPlausibleHandoffId(value: string | undefined): value is string {
  return value !== undefined && handoffIdPattern.test(value);
}

export function createHandoffCookie(options: {
  sealer: CookieSealer;
  secure: boolean;
  now: () => number;
}): HandoffCookie {
  const { sealer, secure, now } = options;
  return {
    // RFC 6265bis §4.1.3.2: `__Host-` binds the cookie to this exact origin (Secure, Path=/, no Domain).
    name: secure ? '__Host-bff-handoff' : 'bff-handoff',
    attributes: () => ({
      httpOnly: true,
      secure,
      // Strict: only the app's own same-origin requests carry it; the sign-in window never needs it.
      sameSite: 'Strict',
      path: '/',
      maxAgeSeconds: handoffTtlSeconds,
    }),
    async start(provider) {
      const handoff = {
        handoffId: randomBytes(32).toString('base64url'),
        provider,
        expiresAtMs: now() + handoffTtlSeconds * 1000,
      };
      const value = await sealer.seal(
        // Checked here too: iron-session tolerates 60 s of clock skew past a seal's own expiry.
        {
          purpose,
          handoffId: handoff.handoffId,
          provider,
          expiresAt: String(handoff.expiresAtMs),
        },
        handoffTtlSeconds,
      );
      return { handoff, value };
    },
    async open(value) {
      if (value === undefined || value === '') return null;
      const data = await sealer.unseal(value, handoffTtlSeconds);
      if (data === null) return null;
      return pendingHandoffFrom(data, now());
    },
  };
}

/** The seal is authenticated, so this only guards against a seal of another shape (another cookie's seal). */
function pendingHandoffFrom(data: Record<string, unknown>, now: number): PendingHandoff | null {
  const { handoffId, provider, expiresAt } = data;
  const expiresAtMs = Number(expiresAt);
  if (
    // Threat: a thief who holds a code and its handoff id starts a handoff login for that id and
    // presents the pending-login cookie the gateway sealed for it as this context's handoff cookie.
    data.purpose !== purpose ||
    typeof handoffId !== 'string' ||
    !isPlausibleHandoffId(handoffId) ||
    typeof provider !== 'string' ||
    !providerIds.includes(provider as ProviderId) ||
    typeof expiresAt !== 'string' ||
    !(expiresAtMs > now)
  ) {
    return null;
  }
  return { handoffId, provider: provider as ProviderId, expiresAtMs };
}
