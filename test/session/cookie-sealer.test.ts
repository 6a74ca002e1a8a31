// Cookie sealing: iron-session with a secret list, the first sealing and every one unsealing (contract §2).
import { unsealData } from 'iron-session';
import { describe, expect, it } from 'vitest';
import { createCookieSealer } from '../../src/session/cookie-sealer.ts';
import { createHandoffCookie } from '../../src/session/handoff-cookie.ts';
import { createLoginCookie } from '../../src/session/login-cookie.ts';
import { createSessionCookie } from '../../src/session/session-cookie.ts';

const oldSecret = 'the-old-session-secret-0123456789-abcdef';
const newSecret = 'the-new-session-secret-0123456789-abcdef';

describe('cookie sealing', () => {
  it('with one secret, unsealData(cookie, { password: SESSION_SECRET }) opens the seal', async () => {
    const sealed = await createCookieSealer([oldSecret]).seal({ sid: 'abc' }, 60);
    expect(await unsealData(sealed, { password: oldSecret })).toEqual({ sid: 'abc' });
  });

  it('rotates: a cookie sealed with the old secret opens after a new one is prepended', async () => {
    const sealed = await createCookieSealer([oldSecret]).seal({ sid: 'abc' }, 60);
    const rotated = createCookieSealer([newSecret, oldSecret]);
    expect(await rotated.unseal(sealed, 60)).toEqual({ sid: 'abc' });
    const fresh = await rotated.seal({ sid: 'def' }, 60);
    expect(await unsealData(fresh, { password: newSecret })).toEqual({ sid: 'def' });
    expect(await createCookieSealer([oldSecret]).unseal(fresh, 60)).toBeNull();
  });

  it('refuses a seal once its secret is dropped from the list', async () => {
    const sealed = await createCookieSealer([oldSecret]).seal({ sid: 'abc' }, 60);
    expect(await createCookieSealer([newSecret]).unseal(sealed, 60)).toBeNull();
  });

  it.each(['', 'garbage', 'Fe26.2*1*x*y*z*w*v~2', `Fe26.2*${'x'.repeat(5000)}`, 'Fe26.2*\u0000'])(
    'answers null, never throws, for %j',
    async (value) => {
      expect(await createCookieSealer([oldSecret]).unseal(value, 60)).toBeNull();
    },
  );
});

describe('the session cookie', () => {
  it('holds a session id and its expiry only, and stops opening after that expiry', async () => {
    let now = 1_000_000;
    const cookie = createSessionCookie({
      sealer: createCookieSealer([oldSecret]),
      secure: true,
      absoluteTimeoutSeconds: 3600,
      now: () => now,
    });
    expect(cookie.name).toBe('__Host-bff-session');
    expect(cookie.attributes()).toEqual({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/',
      maxAgeSeconds: 3600,
    });
    const value = await cookie.seal('session-id');
    expect(await unsealData(value, { password: oldSecret })).toEqual({
      sid: 'session-id',
      exp: String(1_000_000 + 3_600_000),
    });
    expect(await cookie.open(value)).toBe('session-id');
    // Served from the cache now; the cache must still honour the expiry.
    now += 3_600_000;
    expect(await cookie.open(value)).toBeNull();
  });

  it('a cookie past the expiry sealed in it does not open in a fresh process (no cache to consult)', async () => {
    const sealer = createCookieSealer([oldSecret]);
    const start = Date.now();
    const writer = createSessionCookie({
      sealer,
      secure: true,
      absoluteTimeoutSeconds: 3600,
      now: () => start,
    });
    const value = await writer.seal('session-id');
    const later = createSessionCookie({
      sealer,
      secure: true,
      absoluteTimeoutSeconds: 3600,
      now: () => start + 3_600_001,
    });
    expect(await later.open(value)).toBeNull();
  });

  it('over http drops the __Host- prefix and Secure', () => {
    const cookie = createSessionCookie({
      sealer: createCookieSealer([oldSecret]),
      secure: false,
      absoluteTimeoutSeconds: 60,
      now: Date.now,
    });
    expect(cookie.name).toBe('bff-session');
    expect(cookie.attributes().secure).toBe(false);
  });
});

describe('the pending-login cookie', () => {
  it('opens only for the state it was sealed with', async () => {
    const cookie = createLoginCookie({
      sealer: createCookieSealer([oldSecret]),
      secure: true,
      now: Date.now,
    });
    const pending = {
      provider: 'graph' as const,
      codeVerifier: 'v'.repeat(43),
      nonce: 'n'.repeat(43),
      returnTo: 'https://app.example.com/',
      mode: 'redirect' as const,
      joinSessionId: null,
      handoffId: null,
    };
    const sealed = await cookie.seal('A'.repeat(43), pending);
    expect(await cookie.open(sealed, 'A'.repeat(43))).toEqual(pending);
    expect(await cookie.open(sealed, 'B'.repeat(43))).toBeNull();
    expect(cookie.name('A'.repeat(43))).toMatch(/^__Host-bff-login-[A-Za-z0-9_-]{16}$/);
    expect(cookie.attributes()).toMatchObject({
      sameSite: 'Lax',
      httpOnly: true,
      secure: true,
      maxAgeSeconds: 600,
    });
  });
});

describe('a pending-login cookie sealed before handoff mode existed', () => {
  it('still opens, as a login without a handoff id (a login in flight across an upgrade completes)', async () => {
    const sealer = createCookieSealer([oldSecret]);
    const cookie = createLoginCookie({ sealer, secure: true, now: Date.now });
    const state = 'A'.repeat(43);
    // The fields an earlier version sealed: everything but handoffId.
    const legacy = await sealer.seal(
      {
        state,
        expiresAt: String(Date.now() + 600_000),
        provider: 'graph',
        codeVerifier: 'v'.repeat(43),
        nonce: 'n'.repeat(43),
        returnTo: 'https://app.example.com/',
        mode: 'redirect',
        joinSessionId: '',
      },
      600,
    );
    expect(await cookie.open(legacy, state)).toEqual({
      provider: 'graph',
      codeVerifier: 'v'.repeat(43),
      nonce: 'n'.repeat(43),
      returnTo: 'https://app.example.com/',
      mode: 'redirect',
      joinSessionId: null,
      handoffId: null,
    });
  });
});

describe('the handoff cookie', () => {
  it('over https is a __Host- cookie: Secure, Path=/, Strict, HttpOnly, 10 minutes; over http plain', async () => {
    const sealer = createCookieSealer([oldSecret]);
    const secure = createHandoffCookie({ sealer, secure: true, now: Date.now });
    expect(secure.name).toBe('__Host-bff-handoff');
    expect(secure.attributes()).toEqual({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/',
      maxAgeSeconds: 600,
    });
    const { handoff, value } = await secure.start('graph');
    expect(await secure.open(value)).toEqual(handoff);
    const plain = createHandoffCookie({ sealer, secure: false, now: Date.now });
    expect(plain.name).toBe('bff-handoff');
    expect(plain.attributes().secure).toBe(false);
  });
});
