// Open redirects: whatever return_to a browser sends, the gateway redirects only to its own origin.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { validateReturnTo } from '../../src/flows/return-to.ts';

const publicOrigin = 'https://app.example.com';
const corpus = readFileSync(new URL('./openredirects.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

describe('return_to validation', () => {
  it('the open-redirect corpus never yields a Location off the gateway origin', () => {
    expect(corpus.length).toBeGreaterThan(500);
    let refused = 0;
    for (const payload of corpus) {
      try {
        const location = validateReturnTo(payload, publicOrigin);
        expect(new URL(location, publicOrigin).origin, payload).toBe(publicOrigin);
        expect(new URL(location).origin, payload).toBe(publicOrigin);
      } catch (error) {
        expect(error, payload).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).status).toBe(400);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(400);
  });

  it.each([
    ['/', `${publicOrigin}/`],
    ['/inbox?folder=1#top', `${publicOrigin}/inbox?folder=1#top`],
    ['/a/../b', `${publicOrigin}/b`],
    ['/caf%C3%A9', `${publicOrigin}/caf%C3%A9`],
  ])('accepts the same-origin path %s', (value, expected) => {
    expect(validateReturnTo(value, publicOrigin)).toBe(expected);
  });

  it('defaults to the origin root', () => {
    expect(validateReturnTo(undefined, publicOrigin)).toBe(`${publicOrigin}/`);
  });

  it.each([
    ['//evil.example', 'must not start with "//"'],
    ['/\\evil.example', 'must not start with "//" or "/\\"'],
    ['https://evil.example/', 'must be a path starting with "/"'],
    ['/\t/evil.example', 'must not contain control characters'],
    ['/.//evil.example', 'must not resolve to a path starting with "//"'],
  ])('refuses %j for the right reason', (value, reason) => {
    expect(() => validateReturnTo(value, publicOrigin)).toThrow(reason);
  });

  it.each([
    '//app.example.com/inbox',
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\/evil.example',
    '/\t/evil.example',
    '/x\nLocation: https://evil.example',
    '/.//evil.example',
    'javascript:alert(1)',
    'inbox',
    `/${'a'.repeat(3000)}`,
  ])('refuses %j', (value) => {
    expect(() => validateReturnTo(value, publicOrigin)).toThrow(GatewayError);
  });
});
