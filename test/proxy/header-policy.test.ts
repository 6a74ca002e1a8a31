// The header rules as pure functions: what the upstream and the browser each receive.
import { describe, expect, it } from 'vitest';
import {
  connectionOptionNames,
  forwardableRequestHeaders,
  returnableResponseHeaders,
} from '../../src/proxy/header-policy.ts';

describe('request header policy', () => {
  it('never forwards method or path overrides, which would bypass the route allow-list', () => {
    const overrides = {
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
      'x-original-url': '/admin',
      'x-rewrite-url': '/admin',
      'x-override-url': '/admin',
    };
    expect(forwardableRequestHeaders(overrides, 't')).toEqual({ authorization: 'Bearer t' });
  });

  it('keeps exactly one Authorization, the bearer, whatever the case of the client one', () => {
    const headers = forwardableRequestHeaders({ Authorization: 'Basic eDp5' }, 't');
    const authorization = Object.entries(headers).filter(
      ([name]) => name.toLowerCase() === 'authorization',
    );
    expect(authorization).toEqual([['authorization', 'Bearer t']]);
  });

  const received = {
    host: 'app.example.com',
    accept: 'application/json',
    'content-type': 'application/json',
    'content-length': '2',
    cookie: '__Host-bff=sealed',
    authorization: 'Bearer from-the-browser',
    'x-csrf': '1',
    origin: 'https://app.example.com',
    forwarded: 'for=1.2.3.4',
    'x-forwarded-for': '1.2.3.4',
    'x-forwarded-host': 'evil.example',
    'x-real-ip': '1.2.3.4',
    'proxy-authorization': 'Basic cHJveHk6cHc=',
    expect: '100-continue',
    connection: 'keep-alive, X-Foo-Hop',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'x-foo-hop': 'only for this hop',
    prefer: 'return=minimal',
  };

  it('keeps ordinary headers, drops the never-forwarded ones and sets the bearer', () => {
    expect(forwardableRequestHeaders(received, 'access-token')).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'content-length': '2',
      prefer: 'return=minimal',
      authorization: 'Bearer access-token',
    });
  });

  it('keeps the parsed body framing even when Connection names Content-Length (smuggling)', () => {
    const headers = forwardableRequestHeaders(
      { 'content-length': '5', connection: 'content-length' },
      't',
    );
    expect(headers['content-length']).toBe('5');
  });

  it('keeps a chunked body chunked and never sends both framings', () => {
    const headers = forwardableRequestHeaders(
      { 'transfer-encoding': 'chunked', connection: 'transfer-encoding' },
      't',
    );
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers['content-length']).toBeUndefined();
  });

  it('does not let Connection smuggle the client authorization back in', () => {
    const headers = forwardableRequestHeaders(
      { connection: 'authorization', authorization: 'Basic eDp5' },
      't',
    );
    expect(headers.authorization).toBe('Bearer t');
  });

  it('parses connection options from repeated and oddly spaced Connection values', () => {
    expect([...connectionOptionNames([' Keep-Alive ,X-A', 'x-b,,'])]).toEqual([
      'keep-alive',
      'x-a',
      'x-b',
    ]);
    expect(connectionOptionNames(undefined).size).toBe(0);
  });
});

describe('response header policy', () => {
  it('drops hop-by-hop, Connection-named, Set-Cookie and WWW-Authenticate; keeps the rest', () => {
    expect(
      returnableResponseHeaders({
        'content-type': 'application/json',
        'retry-after': '7',
        location: 'https://graph.microsoft.com/v1.0/next',
        'set-cookie': ['a=b', 'c=d'],
        'www-authenticate': 'Basic realm="Service-now"',
        'proxy-authenticate': 'Basic realm="corp"',
        connection: 'keep-alive, x-upstream-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-upstream-hop': 'secret',
        'request-id': 'abc',
      }),
    ).toEqual({
      'content-type': 'application/json',
      'retry-after': '7',
      location: 'https://graph.microsoft.com/v1.0/next',
      'request-id': 'abc',
    });
  });

  it("drops every CORS grant of the upstream, whatever its case, so it never applies to the gateway's origin", () => {
    expect(
      returnableResponseHeaders({
        'content-type': 'application/json',
        vary: 'Origin',
        'Access-Control-Allow-Origin': '*',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'request-id',
        'access-control-allow-methods': 'GET, DELETE',
        'access-control-allow-headers': 'authorization',
        'access-control-max-age': '86400',
        'access-control-allow-private-network': 'true',
        // Not a CORS header, only a look-alike: kept.
        'x-access-control-note': 'kept',
      }),
    ).toEqual({
      'content-type': 'application/json',
      vary: 'Origin',
      'x-access-control-note': 'kept',
    });
  });
});
