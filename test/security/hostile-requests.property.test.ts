// Property test through the in-process app: random paths, queries, cookies and bodies never get a 5xx, and every error the gateway writes is problem+json.
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { dumpStore } from '../support/store-dump.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const prefixes = [
  '/graph',
  '/graph/',
  '/graph/v1.0/',
  '/auth/login/graph',
  '/auth/callback/graph',
  '/auth/session',
  '/auth/logout',
  '/auth/logout/graph',
  '/auth/backchannel-logout',
  '/auth/',
  '/auth/login/',
  '/healthz',
  '/readyz',
  '/',
  '/servicenow/',
  '/auth/callback/servicenow',
];
const pathFragments = [
  '/',
  '\\',
  '%2f',
  '%5c',
  '..',
  '.',
  '%2e%2e',
  '%252e',
  '%00',
  '%0d%0a',
  '//',
  '@',
  ':',
  ';',
  '%',
  '%zz',
  'v1.0',
  'me',
  '%c0%ae',
  '\uff0e',
  '\u00e9',
  ' ',
  '\t',
  '~',
  '$batch',
];
const queryFragments = [
  'return_to=',
  'state=',
  'code=',
  'error=',
  'error_description=',
  'mode=popup',
  'mode=redirect',
  'iss=',
  'prompt=none',
  'login_hint=',
  '&',
  '=',
  '%',
  '%zz',
  '+',
  '//evil.example',
  '/\\evil',
  '%0d%0a',
  'A'.repeat(43),
  '<script>',
  '"',
  "'",
  '%00',
  '\u00e9',
  '?',
  '#',
];
const cookieFragments = [
  'bff-session=',
  'bff-login-AAAAAAAAAAAAAAAA=',
  'Fe26.2*',
  'Fe26.2*1*',
  '*',
  '~2',
  '; ',
  ';',
  '=',
  '"',
  '%',
  '%zz',
  ' ',
  'x',
  'A'.repeat(40),
  '\\',
  ',',
];

const joined = (fragments: readonly string[], maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...fragments), { maxLength }).map((parts) => parts.join(''));

/** Header values must be Latin-1 without CR, LF or NUL to be sent at all. */
const headerValue = (fragments: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(joined(fragments, 10), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));

const requests = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  target: fc
    .tuple(
      fc.constantFrom(...prefixes),
      joined(pathFragments, 8),
      fc.option(joined(queryFragments, 10)),
    )
    .map(([prefix, path, query]) => `${prefix}${path}${query === null ? '' : `?${query}`}`),
  cookie: fc.option(headerValue(cookieFragments)),
  csrf: fc.boolean(),
  body: fc.option(headerValue(queryFragments)),
});

type HostileRequest = typeof requests extends fc.Arbitrary<infer T> ? T : never;

/**
 * The app in process, as @hono/node-server hands it a request: the URL parsed from the origin and
 * the raw target, and `incoming.url` the raw target itself (what the proxy's path check reads). No request here
 * unseals a session, so none reaches the forwarder that would need the rest of `incoming`.
 */
async function send(request: HostileRequest): Promise<Response> {
  const headers: Record<string, string> = {};
  if (request.cookie !== null) headers.cookie = request.cookie;
  if (request.csrf) headers['x-csrf'] = '1';
  const withBody = request.body !== null && !['GET', 'HEAD'].includes(request.method);
  if (withBody) headers['content-type'] = 'application/x-www-form-urlencoded';
  const incoming = {
    url: request.target,
    method: request.method,
    headers: headers as IncomingHttpHeaders,
  };
  return harness.gateway.app.request(
    new URL(`${harness.url}${request.target}`).href,
    { method: request.method, headers, ...(withBody ? { body: request.body } : {}) },
    { incoming, outgoing: {} },
  );
}

describe('random hostile requests through the in-process app', () => {
  it('never answer 5xx; every 4xx the gateway writes is problem+json; the store is untouched', async () => {
    const before = await dumpStore(harness.redis);
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const response = await send(request);
        expect(response.status, JSON.stringify(request)).toBeLessThan(500);
        if (response.status >= 400 && request.method !== 'HEAD') {
          expect(response.headers.get('content-type'), JSON.stringify(request)).toBe(
            'application/problem+json',
          );
          const problem = (await response.json()) as { type: string; status: number };
          expect(problem.type).toMatch(/^urn:bff:/);
          expect(problem.status).toBe(response.status);
        } else {
          await response.body?.cancel();
        }
      }),
      { numRuns: 400 },
    );
    // Random requests hold no session: none may create, touch or delete anything in the store.
    expect(await dumpStore(harness.redis)).toEqual(before);
  });
});
