// Problem responses (RFC 9457): every error body the contract names, and nothing internal in an unexpected one.
import { describe, expect, it } from 'vitest';
import { GatewayError, reauthRequired } from '../../src/errors/gateway-error.ts';
import { toProblem } from '../../src/gateway/problem.ts';

describe('toProblem', () => {
  it('turns an unexpected error into a bare 500: no message, stack or cause reaches the body', () => {
    const internal = new Error('connect ECONNREFUSED 10.0.0.7:6379 token=abc', {
      cause: new Error('deeper'),
    });
    const problem = toProblem(internal);
    expect(problem.status).toBe(500);
    expect(JSON.parse(problem.body)).toEqual({
      type: 'urn:bff:internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'the gateway failed to handle the request',
    });
    expect(problem.body).not.toContain('ECONNREFUSED');
    expect(problem.body).not.toContain('deeper');
  });

  it('serialises a GatewayError with its members, never its cause', () => {
    const problem = toProblem(
      new GatewayError(503, 'provider_unavailable', 'the provider is unavailable', {
        retryAfterSeconds: 2.2,
        cause: new Error('secret upstream body'),
      }),
    );
    expect(problem.status).toBe(503);
    expect(problem.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'retry-after': '3',
    });
    expect(problem.body).not.toContain('secret upstream body');
  });

  it('builds the reauth payload of contract §4, with provider_error only for refresh_failed', () => {
    const reauth = toProblem(
      reauthRequired('graph', 'refresh_failed', 'refresh rejected', {
        providerError: 'invalid_grant',
      }),
    );
    expect(JSON.parse(reauth.body)).toEqual({
      type: 'urn:bff:reauth-required',
      title: 'Re-authentication required',
      status: 401,
      detail: 'refresh rejected',
      provider: 'graph',
      reason: 'refresh_failed',
      provider_error: 'invalid_grant',
      login_url: '/auth/login/graph',
    });
    expect(reauth.headers['www-authenticate']).toBe('Bearer realm="bff"');
    const other = JSON.parse(
      toProblem(reauthRequired('graph', 'no_session', 'none', { providerError: 'x' })).body,
    ) as Record<string, unknown>;
    expect(other.provider_error).toBeUndefined();
  });
});
