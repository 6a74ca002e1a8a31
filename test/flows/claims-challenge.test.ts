// Claims challenges read tolerantly from WWW-Authenticate, and the claims parameter built from capabilities and a challenge.
import { describe, expect, it } from 'vitest';
import { claimsChallengeLoginUrl, readClaimsChallenge } from '../../src/flows/claims-challenge.ts';
import {
  claimsParameter,
  decodeClaimsChallenge,
  maximumEncodedClaimsLength,
} from '../../src/flows/claims-request.ts';

const claimsJson = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}';
const encoded = Buffer.from(claimsJson).toString('base64');
const uri = 'https://login.microsoftonline.com/common/oauth2/authorize';

describe('reading a claims challenge', () => {
  it.each([
    [
      'quoted (RFC 6750 §3)',
      `Bearer realm="", authorization_uri="${uri}", error="insufficient_claims", claims="${encoded}"`,
    ],
    [
      'authorization_uri unquoted (a real Graph capture)',
      `Bearer realm="", authorization_uri=${uri}, error="insufficient_claims", claims="${encoded}"`,
    ],
    [
      'error unquoted too',
      `Bearer realm="", authorization_uri=${uri}, error=insufficient_claims, claims="${encoded}"`,
    ],
    ['claims unquoted', `Bearer error="insufficient_claims", claims=${encoded}`],
    [
      'claims unquoted, followed by another parameter',
      `Bearer error=insufficient_claims, claims=${encoded}, realm=""`,
    ],
    [
      'parameters in another order, odd case and spacing',
      `bearer CLAIMS = "${encoded}" ,Error = "insufficient_claims"`,
    ],
    [
      'after another challenge',
      `Basic realm="x", Bearer error="insufficient_claims", claims="${encoded}"`,
    ],
  ])('finds the challenge and its claims when %s', (_name, header) => {
    expect(readClaimsChallenge(header)).toEqual({ encodedClaims: encoded });
  });

  it.each([
    ['no header', null],
    [
      'an ordinary Graph 401',
      `Bearer realm="", authorization_uri="${uri}", client_id="00000003-0000-0000-c000-000000000000"`,
    ],
    ['another error', `Bearer error="invalid_token", claims="${encoded}"`],
    ['the error name only as part of another value', `Bearer error="not_insufficient_claims"`],
    [
      'an unquoted error that only begins with the name',
      `Bearer error=insufficient_claims_v2, claims="${encoded}"`,
    ],
    ['the error name inside a URL', `Bearer authorization_uri=${uri}?error=insufficient_claims`],
    ['ServiceNow Basic', 'Basic realm="Service-now"'],
  ])('sees no challenge in %s', (_name, header) => {
    expect(readClaimsChallenge(header)).toBeNull();
  });

  it('takes a claims parameter only where a parameter starts, never from inside a URL', () => {
    const header = `Bearer authorization_uri=${uri}?claims=${encoded}, error="insufficient_claims"`;
    expect(readClaimsChallenge(header)).toEqual({ encodedClaims: null });
  });

  it.each([
    ['absent', 'Bearer error="insufficient_claims"'],
    ['not base64', 'Bearer error="insufficient_claims", claims="<script>"'],
    [
      'base64 of text, not JSON',
      `Bearer error="insufficient_claims", claims="${Buffer.from('hello').toString('base64')}"`,
    ],
    [
      'base64 of a JSON array',
      `Bearer error="insufficient_claims", claims="${Buffer.from('[1]').toString('base64')}"`,
    ],
    [
      'base64 of an object whose member is not an object',
      `Bearer error="insufficient_claims", claims="${Buffer.from('{"access_token":1}').toString('base64')}"`,
    ],
    [
      'longer than the bound',
      `Bearer error="insufficient_claims", claims="${'A'.repeat(maximumEncodedClaimsLength + 4)}"`,
    ],
  ])('keeps the challenge but drops claims that are %s', (_name, header) => {
    expect(readClaimsChallenge(header)).toEqual({ encodedClaims: null });
  });

  it('puts the claims, URL-encoded, in the login URL', () => {
    const url = claimsChallengeLoginUrl('graph', { encodedClaims: encoded });
    expect(url.startsWith('/auth/login/graph?claims=')).toBe(true);
    expect(new URL(url, 'https://app.example').searchParams.get('claims')).toBe(encoded);
    expect(claimsChallengeLoginUrl('graph', { encodedClaims: null })).toBe('/auth/login/graph');
  });

  it('keeps claims whose base64 holds "+" and "/" intact in the login URL', () => {
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: '?>?>' } } });
    const withPlusAndSlash = Buffer.from(claims).toString('base64');
    expect(withPlusAndSlash).toMatch(/\+/);
    expect(withPlusAndSlash).toMatch(/\//);
    const url = new URL(
      claimsChallengeLoginUrl('graph', { encodedClaims: withPlusAndSlash }),
      'https://app.example',
    );
    expect(url.searchParams.get('claims')).toBe(withPlusAndSlash);
  });
});

describe('the claims request parameter', () => {
  it('decodes standard and URL-safe base64, padded or not, to the same claims', () => {
    const object = JSON.parse(claimsJson) as unknown;
    const urlSafe = Buffer.from(claimsJson).toString('base64url');
    expect(decodeClaimsChallenge(encoded)).toEqual(object);
    expect(decodeClaimsChallenge(urlSafe)).toEqual(object);
    expect(decodeClaimsChallenge(encoded.replace(/=+$/, ''))).toEqual(object);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(decodeClaimsChallenge(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'))).toBeNull();
  });

  it('refuses bytes that are not UTF-8 inside a JSON string, where a lenient decoder would substitute U+FFFD', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"access_token":{"nbf":{"value":"'),
      Buffer.from([0xff]),
      Buffer.from('"}}}'),
    ]);
    expect(decodeClaimsChallenge(bytes.toString('base64'))).toBeNull();
  });

  it('refuses characters outside base64, even those a lenient decoder would skip', () => {
    for (const junk of ['.', '!', ' ', '%', '*'])
      expect(decodeClaimsChallenge(`${encoded.slice(0, 8)}${junk}${encoded.slice(8)}`)).toBeNull();
  });

  it('accepts an encoded value of exactly the bound and refuses one character more', () => {
    const frame = (pad: string) =>
      JSON.stringify({ access_token: { nbf: { essential: true, value: pad } } });
    // 3 bytes are 4 base64 characters: a JSON text of 3/4 of the bound encodes to exactly the bound.
    const json = frame('x'.repeat((maximumEncodedClaimsLength / 4) * 3 - frame('').length));
    const atTheBound = Buffer.from(json).toString('base64');
    expect(atTheBound).toHaveLength(maximumEncodedClaimsLength);
    expect(decodeClaimsChallenge(atTheBound)).toEqual(JSON.parse(json));
    // Base64 all the same (padding is optional), one character too long.
    expect(decodeClaimsChallenge(`${atTheBound}=`)).toBeNull();
  });

  it('declares the client capabilities alone', () => {
    expect(JSON.parse(claimsParameter(['cp1'], null) ?? '')).toEqual({
      access_token: { xms_cc: { values: ['cp1'] } },
    });
    expect(claimsParameter([], null)).toBeNull();
  });

  it('merges the capabilities into a challenge, keeping every requirement of the challenge', () => {
    const challenge = decodeClaimsChallenge(encoded);
    expect(JSON.parse(claimsParameter(['cp1'], challenge) ?? '')).toEqual({
      access_token: {
        nbf: { essential: true, value: '1604106651' },
        xms_cc: { values: ['cp1'] },
      },
    });
    expect(JSON.parse(claimsParameter([], challenge) ?? '')).toEqual(JSON.parse(claimsJson));
  });

  it('keeps the capabilities declared whatever the challenge says about xms_cc', () => {
    for (const xmsCc of [null, 'cp0', { values: 'cp0' }]) {
      const challenge = { access_token: { xms_cc: xmsCc } };
      expect(JSON.parse(claimsParameter(['cp1'], challenge) ?? '')).toEqual({
        access_token: { xms_cc: { values: ['cp1'] } },
      });
    }
  });

  it('keeps each capability once when the challenge already names it', () => {
    const challenge = { access_token: { xms_cc: { values: ['cp1', 'cp2'] } }, id_token: {} };
    expect(JSON.parse(claimsParameter(['cp1'], challenge) ?? '')).toEqual({
      access_token: { xms_cc: { values: ['cp1', 'cp2'] } },
      id_token: {},
    });
  });
});
