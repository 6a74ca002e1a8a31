// Property tests: on arbitrary input the cookie, return_to, path and popup parsers refuse with their own 4xx (or null) and never let anything off-origin or off-base through.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { validateReturnTo } from '../../src/flows/return-to.ts';
import { renderPopupPage } from '../../src/gateway/popup-page.ts';
import { resolveUpstreamPath } from '../../src/proxy/upstream-path.ts';
import { createCookieSealer } from '../../src/session/cookie-sealer.ts';
import { createLoginCookie } from '../../src/session/login-cookie.ts';
import { createSessionCookie } from '../../src/session/session-cookie.ts';
import { staysUnderBasePath } from '../support/base-path.ts';

const numRuns = 400;
const publicOrigin = 'https://app.example.com';
const sealer = createCookieSealer(['the-property-test-secret-0123456789-abcdef']);
const sessionCookie = createSessionCookie({
  sealer,
  secure: true,
  absoluteTimeoutSeconds: 3600,
  now: Date.now,
});
const loginCookie = createLoginCookie({ sealer, secure: true, now: Date.now });

/** Strings built from the pieces parsers trip over, plus any UTF-16 text (lone surrogates too). */
function hostileText(fragments: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 64 }),
    fc.array(fc.constantFrom(...fragments), { maxLength: 14 }).map((parts) => parts.join('')),
  );
}

const pathFragments = [
  '/',
  '\\',
  '%2f',
  '%2F',
  '%5c',
  '..',
  '.',
  '%2e',
  '%2E',
  '%252e',
  '%25',
  '%',
  '%00',
  '\u0000',
  '\r\n',
  '\t',
  ' ',
  '//',
  '@',
  ':',
  ';',
  '?',
  '#',
  '%c0%ae',
  '%ef%bc%8e',
  '\uff0e',
  '\u3002',
  'v1.0',
  'me',
  'evil.example',
  'https:',
  '%0d%0a',
  '\u00e9',
  '\ud83d',
  '%e6%97',
];
const sealFragments = [
  'Fe26.2',
  '*',
  '~2',
  '1',
  '',
  'abc',
  '_-',
  '%',
  '=',
  '"',
  ' ',
  '\u0000',
  'Fe26.2*1*',
];

/** Runs `parse`; a throw must be the GatewayError `code` with a 4xx status, anything else fails. */
function acceptedOrRefused<T>(parse: () => T, code: string): T | null {
  try {
    return parse();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(code);
    expect((error as GatewayError).status).toBe(400);
    return null;
  }
}

/** Whether two seals (`…*…*…~version`) differ only in how their base64url parts are spelled. */
function sameBytes(seal: string, other: string): boolean {
  const parts = seal.split(/[*~]/);
  const otherParts = other.split(/[*~]/);
  return (
    parts.length === otherParts.length &&
    parts.every(
      (part, index) =>
        part === otherParts[index] ||
        (/^[A-Za-z0-9_-]+$/.test(part) &&
          /^[A-Za-z0-9_-]+$/.test(otherParts[index] ?? '') &&
          Buffer.from(part, 'base64url').equals(Buffer.from(otherParts[index] ?? '', 'base64url'))),
    )
  );
}

describe('the cookie parsers', () => {
  it('a session cookie of any text opens to null and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(sealFragments), async (value) => {
        expect(await sessionCookie.open(value)).toBeNull();
      }),
      { numRuns },
    );
  });

  it('a genuine session seal with any one character changed before its version opens to null', async () => {
    const seal = await sessionCookie.seal('a-session-id');
    const versionAt = seal.lastIndexOf('~');
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: versionAt - 1 }),
        fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
        async (index, char) => {
          fc.pre(seal[index] !== char);
          const changed = seal.slice(0, index) + char + seal.slice(index + 1);
          // The last character of a base64url part carries unused bits: a change confined to them
          // names the same bytes, so it is no change of the seal's content (RFC 4648 §3.5).
          fc.pre(!sameBytes(seal, changed));
          expect(await sessionCookie.open(changed)).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
    expect(await sessionCookie.open(seal)).toBe('a-session-id');
  });

  it('a login cookie of any text, for any state, opens to null and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(sealFragments), fc.string(), async (value, state) => {
        expect(await loginCookie.open(value, state)).toBeNull();
      }),
      { numRuns },
    );
  });

  it("a genuine login seal opens for its own state only, never another's", async () => {
    const state = 'A'.repeat(43);
    const pending = {
      provider: 'graph' as const,
      codeVerifier: 'v',
      nonce: 'n',
      returnTo: `${publicOrigin}/`,
      mode: 'redirect' as const,
      joinSessionId: null,
      handoffId: null,
    };
    const seal = await loginCookie.seal(state, pending);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 130 }), async (other) => {
        fc.pre(other !== state);
        expect(await loginCookie.open(seal, other)).toBeNull();
      }),
      { numRuns: 200 },
    );
    expect(await loginCookie.open(seal, state)).toEqual(pending);
  });
});

describe('the return_to parser', () => {
  it("accepts only what resolves to PUBLIC_URL's origin, and refuses everything else with 400", () => {
    const candidates = fc.oneof(
      hostileText(pathFragments),
      hostileText(pathFragments).map((text) => `/${text}`),
    );
    fc.assert(
      fc.property(candidates, (value) => {
        const location = acceptedOrRefused(
          () => validateReturnTo(value, publicOrigin),
          'invalid_request',
        );
        if (location === null) return;
        const url = new URL(location);
        expect(url.origin).toBe(publicOrigin);
        expect(new URL(location, publicOrigin).origin).toBe(publicOrigin);
        expect(url.pathname.startsWith('//')).toBe(false);
        // eslint-disable-next-line no-control-regex -- a control character would split the Location header
        expect(location).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the proxy path resolver', () => {
  it('accepts only paths that stay under the base path however the upstream decodes them, and refuses the rest with 400', () => {
    const targets = fc.oneof(
      hostileText(pathFragments),
      hostileText(pathFragments).map((text) => `/graph${text}`),
      hostileText(pathFragments).map((text) => `/graph/${text}`),
    );
    fc.assert(
      fc.property(targets, (target) => {
        const resolved = acceptedOrRefused(
          () => resolveUpstreamPath(target, '/graph'),
          'invalid_path',
        );
        if (resolved === null) return;
        expect(resolved.upstreamPath.startsWith('/')).toBe(true);
        expect(resolved.upstreamPath).toMatch(/^[\u0021-\u007e]+$/);
        expect(staysUnderBasePath(`/base${resolved.upstreamPath}`, '/base')).toBe(true);
        expect(resolved.routePath.split('/').some((segment) => /^\.{1,2}$/.test(segment))).toBe(
          false,
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the popup page', () => {
  it('whatever provider and error it is handed, it holds one script element and posts them back intact', () => {
    fc.assert(
      fc.property(
        hostileText(['</script>', '<script>', '<!--', '-->', '"', "'", '\u2028', '\\', '`', '${']),
        fc.string(),
        (error, provider) => {
          const { html } = renderPopupPage({ provider, ok: false, error }, publicOrigin);
          expect(html.match(/<script/gi)).toHaveLength(1);
          expect(html.match(/<\/script/gi)).toHaveLength(1);
          expect(html.match(/<!--/g)).toBeNull();
          const data = /var data = (\{.*\});\n/s.exec(html)?.[1] ?? '';
          expect(JSON.parse(data)).toEqual({
            message: { type: 'bff:login', provider, ok: false, error },
            origin: publicOrigin,
          });
        },
      ),
      { numRuns },
    );
  });
});
