// Route allow-lists: method and path globs of GRAPH_ROUTES / SERVICENOW_ROUTES (contract §2).
import { describe, expect, it } from 'vitest';
import { isRouteAllowed, parseRouteAllowList } from '../../src/config/route-allow-list.ts';

describe('route allow-list', () => {
  const rules = parseRouteAllowList(
    'GET /v1.0/me; GET|POST /v1.0/me/messages/**; * /v1.0/users/*/photo',
  );

  it.each([
    ['GET', '/v1.0/me', true],
    ['POST', '/v1.0/me', false],
    ['GET', '/v1.0/me/messages', true],
    ['POST', '/v1.0/me/messages/abc/reply', true],
    ['DELETE', '/v1.0/me/messages/abc', false],
    ['PATCH', '/v1.0/users/alice/photo', true],
    ['GET', '/v1.0/users/alice/bob/photo', false],
    ['GET', '/v1.0/users//photo', false],
    ['GET', '/v1.0/mess', false],
  ])('%s %s allowed: %s', (method, path, allowed) => {
    expect(isRouteAllowed(rules, method, path)).toBe(allowed);
  });

  it('the default "* /**" allows everything', () => {
    const all = parseRouteAllowList('* /**');
    expect(isRouteAllowed(all, 'DELETE', '/anything/at/all')).toBe(true);
    expect(isRouteAllowed(all, 'GET', '/')).toBe(true);
  });

  it('treats regular-expression characters in a glob literally', () => {
    const literal = parseRouteAllowList('GET /v1.0/$batch');
    expect(isRouteAllowed(literal, 'GET', '/v1.0/$batch')).toBe(true);
    expect(isRouteAllowed(literal, 'GET', '/v1x0/$batch')).toBe(false);
  });

  it.each(['', 'GET', 'GET v1.0/me', 'G-T /x', 'GET /a /b'])(
    'refuses the malformed list %j',
    (text) => {
      expect(() => parseRouteAllowList(text)).toThrow();
    },
  );
});
