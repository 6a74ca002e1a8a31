// Which links the gateway maps back onto its mount (contract §6): only those on the upstream's exact base that the proxy itself would forward; Link headers target by target.
import { describe, expect, it } from 'vitest';
import { rewriteLinkFieldValue, rewriteLinkHeaders } from '../../src/proxy/link-header-rewriter.ts';
import { createLinkRewriter } from '../../src/proxy/link-rewriting.ts';

const rewriter = createLinkRewriter({
  apiUrl: new URL('https://upstream.example:8443/base/'),
  publicOrigin: 'https://app.example',
  mountPrefix: '/graph',
});

describe('which URLs are on the upstream base', () => {
  it.each([
    [
      'https://upstream.example:8443/base/v1.0/users?$top=5&$skiptoken=a%3D',
      'https://app.example/graph/v1.0/users?$top=5&$skiptoken=a%3D',
    ],
    ['HTTPS://Upstream.Example:8443/base/v1.0/me', 'https://app.example/graph/v1.0/me'],
    ['https://upstream.example:8443/base/v1.0/users/', 'https://app.example/graph/v1.0/users/'],
  ])('rewrites %s', (url, expected) => {
    expect(rewriter.rewriteUrl(url)).toBe(expected);
  });

  it.each([
    ['the base itself, without a path after it', 'https://upstream.example:8443/base'],
    ['the base with nothing after its slash', 'https://upstream.example:8443/base/'],
    ['a sibling path that shares the prefix', 'https://upstream.example:8443/basement/v1.0'],
    ['another path of the same length as the base', 'https://upstream.example:8443/evil/v1.0/me'],
    ['another port', 'https://upstream.example:9443/base/v1.0'],
    ['the default port spelled out on another scheme', 'http://upstream.example:8443/base/v1.0'],
    ['a look-alike host', 'https://upstream.example.evil:8443/base/v1.0'],
    ['user information before the host', 'https://upstream.example:8443@evil.example/base/v1.0'],
    ['a relative reference', '/base/v1.0/users'],
    [
      'a dot segment that leaves the mount',
      'https://upstream.example:8443/base/v1.0/../../auth/logout',
    ],
    ['an encoded dot segment', 'https://upstream.example:8443/base/v1.0/%2E%2E/%2e%2e/auth'],
    ['a backslash', 'https://upstream.example:8443/base/v1.0\\..\\auth'],
    ['an encoded slash', 'https://upstream.example:8443/base/v1.0/a%2F..%2F..'],
    ['a fragment', 'https://upstream.example:8443/base/v1.0/users#x'],
    ['raw non-ASCII', 'https://upstream.example:8443/base/v1.0/é'],
  ])('leaves %s alone', (_case, url) => {
    expect(rewriter.rewriteUrl(url)).toBeNull();
  });
});

describe('links inside JSON strings', () => {
  const raw = (text: string): Buffer => Buffer.from(text);

  it('rewrites an escaped base and keeps the rest of the raw string byte for byte', () => {
    const content =
      'https:\\/\\/upstream.example:8443\\/base\\/v1.0\\/users?$skiptoken=a\\u0026b=\\"';
    expect(rewriter.rewriteJsonStringContent(raw(content))?.toString()).toBe(
      'https://app.example/graph/v1.0\\/users?$skiptoken=a\\u0026b=\\"',
    );
  });

  it('decodes \\u escapes in the base before comparing it', () => {
    const content = '\\u0068ttps://upstream.example:8443/base/v1.0/me';
    expect(rewriter.rewriteJsonStringContent(raw(content))?.toString()).toBe(
      'https://app.example/graph/v1.0/me',
    );
  });

  it('leaves an invalid JSON string, and a base whose escapes decode to a path that leaves the mount, alone', () => {
    expect(
      rewriter.rewriteJsonStringContent(raw('https://upstream.example:8443/base/x\\q')),
    ).toBeNull();
    expect(
      rewriter.rewriteJsonStringContent(
        raw('https://upstream.example:8443/base/v1.0/\\u002e\\u002e/x'),
      ),
    ).toBeNull();
  });
});

describe('Link and Location headers', () => {
  it('rewrites every target of a Link field on the base, and nothing inside quoted parameters', () => {
    const value =
      '<https://upstream.example:8443/base/a?o=10>;rel="next",<https://upstream.example:8443/base/a?o=0>;rel="first"; title="<https://upstream.example:8443/base/q>\\"<x>", <https://other.example/a>;rel="help"';
    expect(rewriteLinkFieldValue(value, rewriter)).toBe(
      '<https://app.example/graph/a?o=10>;rel="next",<https://app.example/graph/a?o=0>;rel="first"; title="<https://upstream.example:8443/base/q>\\"<x>", <https://other.example/a>;rel="help"',
    );
  });

  it('reads an escaped quote as part of the quoted string, so a target-like text after it stays as sent', () => {
    const value =
      '<https://other.example/a>; title="say \\"<https://upstream.example:8443/base/q>\\" twice"; rel="help"';
    expect(rewriteLinkFieldValue(value, rewriter)).toBe(value);
  });

  it('leaves a malformed Link field after its last complete target as it came', () => {
    const value =
      '<https://upstream.example:8443/base/a>;rel="next", <https://upstream.example:8443/base/b';
    expect(rewriteLinkFieldValue(value, rewriter)).toBe(
      '<https://app.example/graph/a>;rel="next", <https://upstream.example:8443/base/b',
    );
  });

  it('rewrites Location on the base only, and Link given as several field lines', () => {
    const onBase = {
      location: 'https://upstream.example:8443/base/v1.0/x',
      link: ['<https://upstream.example:8443/base/1>', '<https://other.example/2>'],
    };
    rewriteLinkHeaders(onBase, rewriter);
    expect(onBase).toEqual({
      location: 'https://app.example/graph/v1.0/x',
      link: ['<https://app.example/graph/1>', '<https://other.example/2>'],
    });
    const elsewhere = { location: 'https://download.example.invalid/preauth/abc?tempauth=xyz' };
    rewriteLinkHeaders(elsewhere, rewriter);
    expect(elsewhere.location).toBe('https://download.example.invalid/preauth/abc?tempauth=xyz');
  });
});
