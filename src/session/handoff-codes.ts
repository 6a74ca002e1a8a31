// One-time handoff codes: a completed sign-in kept 60 s, encrypted, under a key only the code AND its handoff id name.
import { randomBytes } from 'node:crypto';
import { providerIds, type ProviderId } from '../config/types.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProviderTokens, SessionUser } from './session-types.ts';
import type { Store } from './store.ts';
import type { StoreKeys } from './store-keys.ts';
import type { TokenCipher } from './token-cipher.ts';

/** What the sign-in window's callback completed, waiting for the app context to redeem it. */
export interface HandoffLogin {
  readonly provider: ProviderId;
  readonly tokens: ProviderTokens;
  readonly user: SessionUser | null;
}

export interface HandoffCodes {
  /** Keeps `login` for the code's lifetime and returns the code (256 random bits, base64url). */
  issue(handoffId: string, login: HandoffLogin): Promise<string>;
  /**
   * Takes the login the code names, in one atomic read-and-delete: of any number of concurrent
   * redemptions exactly one receives it. Null when absent, expired, already used, or bound to
   * another handoff id (indistinguishable on purpose).
   */
  redeem(handoffId: string, code: string): Promise<HandoffLogin | null>;
}

/** Contract §6: a handoff code lives 60 s. */
export const handoffCodeTtlMs = 60_000;
/** 32 random bytes, base64url: 43 characters. */
const codePattern = /^[A-Za-z0-9_-]{43}$/;
/** The single field of a handoff record (a store "session" hash with a 60 s absolute deadline). */
const loginField = 'login';

/** Whether a code has the shape this gateway issues: anything else is refused before any lookup. */
export function isPlausibleHandoffCode(value: unknown): value is string {
  return typeof value === 'string' && codePattern.test(value);
}

/**
 * Reuses the store's session primitives: `createSession` with the code's deadline as both the
 * absolute and idle deadline (the key expires with it), and `takeSession` for single use.
 */
export function createHandoffCodes(options: {
  store: Store;
  cipher: TokenCipher;
  keys: StoreKeys;
  logger: Logger;
  now: () => number;
  /** Tests only: a shorter life to watch both stores expire a record. */
  ttlMs?: number;
}): HandoffCodes {
  const { store, cipher, keys, logger, now } = options;
  const ttlMs = options.ttlMs ?? handoffCodeTtlMs;
  // The ciphertext is bound to its key and field (AAD), so a value copied to another key fails to decrypt.
  const associatedData = (key: string): string => `${key}\n${loginField}`;

  return {
    async issue(handoffId, login) {
      const code = randomBytes(32).toString('base64url');
      const key = keys.handoffCode(handoffId, code);
      const expiresAtMs = now() + ttlMs;
      const record = { ...login, expiresAtMs };
      const value = cipher.encrypt(JSON.stringify(record), associatedData(key));
      await store.createSession(key, { [loginField]: value }, expiresAtMs, expiresAtMs);
      return code;
    },
    async redeem(handoffId, code) {
      const key = keys.handoffCode(handoffId, code);
      const taken = await store.takeSession(key, [loginField]);
      const value = taken?.values[0];
      if (value === null || value === undefined) return null;
      let record: unknown;
      try {
        record = JSON.parse(cipher.decrypt(value, associatedData(key)));
      } catch (error) {
        // A rotated-away key or a tampered value: refused. Name only: a JSON.parse message would quote the text.
        logger.warn({ error: describeError(error) }, 'a stored handoff could not be decrypted');
        return null;
      }
      // The gateway's clock decides too, so the code dies at 60 s whatever the store's clock says.
      return handoffLoginFrom(record, now());
    },
  };
}

/** The record was encrypted by this gateway, so this only guards against a record of another shape. */
function handoffLoginFrom(record: unknown, now: number): HandoffLogin | null {
  if (typeof record !== 'object' || record === null) return null;
  const { provider, tokens, user, expiresAtMs } = record as Record<string, unknown>;
  if (
    typeof expiresAtMs !== 'number' ||
    !(expiresAtMs > now) ||
    typeof provider !== 'string' ||
    !providerIds.includes(provider as ProviderId) ||
    typeof tokens !== 'object' ||
    tokens === null
  ) {
    return null;
  }
  return {
    provider: provider as ProviderId,
    tokens: tokens as ProviderTokens,
    user: (user ?? null) as SessionUser | null,
  };
}
