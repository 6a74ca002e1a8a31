// The path rules replayed from a data table (like httpxy's request-smuggling test): every hostile target is a 400, every ordinary one resolves byte-exact.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { resolveUpstreamPath } from '../../src/proxy/upstream-path.ts';
import { hostileTargets, legitimateTargets } from './path-corpus.ts';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof GatewayError ? `${error.status} ${error.code}` : String(error);
  }
  return 'accepted';
}

describe('resolveUpstreamPath', () => {
  it('has a table of at least 30 hostile and 10 legitimate targets', () => {
    expect(hostileTargets.length).toBeGreaterThanOrEqual(30);
    expect(legitimateTargets.length).toBeGreaterThanOrEqual(10);
  });

  for (const { target, threat } of hostileTargets) {
    it(`refuses ${JSON.stringify(target)} (${threat})`, () => {
      expect(codeOf(() => resolveUpstreamPath(target, '/graph'))).toBe('400 invalid_path');
    });
  }

  for (const { target, upstreamPath, routePath } of legitimateTargets) {
    it(`resolves ${JSON.stringify(target)}`, () => {
      expect(resolveUpstreamPath(target, '/graph')).toEqual({ upstreamPath, routePath });
    });
  }

  it('resolves a ServiceNow target under its own mount, query byte-exact', () => {
    const target = '/servicenow/api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYnumber';
    expect(resolveUpstreamPath(target, '/servicenow')).toEqual({
      upstreamPath: '/api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYnumber',
      routePath: '/api/now/table/incident',
    });
  });

  it('names what it expected in a lowercase message and never echoes the target', () => {
    try {
      resolveUpstreamPath('/graph/%2e%2e/secret-name', '/graph');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).message).toMatch(/^the request path is invalid: expected /);
      expect((error as GatewayError).message).not.toContain('secret-name');
    }
  });

  it('refuses a mount prefix that is not a rooted path without a trailing slash', () => {
    expect(() => resolveUpstreamPath('/graph/x', 'graph')).toThrow(TypeError);
    expect(() => resolveUpstreamPath('/graph/x', '/graph/')).toThrow(TypeError);
  });
});
