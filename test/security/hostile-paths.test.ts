// Traversal and encoding tricks under /graph and /servicenow, raw on the wire to the real gateway: 400 or 404, and the upstream never sees a path outside its base path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { staysUnderBasePath } from '../support/base-path.ts';
import { sendRaw } from '../support/raw-http.ts';
import { freePort } from '../support/free-port.ts';
import { hostileTargets, legitimateTargets } from '../proxy/path-corpus.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../proxy/recording-upstream.ts';

const mounts = [
  { mount: '/graph', base: '/base/graph' },
  { mount: '/servicenow', base: '/base/servicenow' },
] as const;

/** The brief's shapes the shared corpus spells differently, written for /graph. */
const moreHostileTargets: readonly string[] = [
  '/graph/%2E%2e/admin',
  '/graph/v1.0/%2e%2E%2Fadmin',
  '/graph/v1.0/..;x=1/..;y=2/admin',
  '/graph/;x=1/../admin',
  '/graph/v1.0/%c0%ae%c0%ae/%c0%afadmin',
  '/graph/v1.0/%e0%80%ae%e0%80%ae/admin',
  '/graph/v1.0/me%00/../admin',
  '/graph/v1.0/..%00/admin',
  '/graph/%u002e%u002e/admin',
  '/graph/v1.0/%25%32%65%25%32%65%25%32%66admin',
  '/graph/v1.0/%2e%2e%5cadmin',
  '/graph/v1.0/%5c%5cevil.example/admin',
];

let upstream: RecordingUpstream;
let harness: GatewayHarness;
let cookie: string;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  harness = await startGatewayHarness({
    GRAPH_API_URL: `${upstream.origin}/base/graph`,
    SERVICENOW_CLIENT_ID: 'servicenow-client',
    SERVICENOW_CLIENT_SECRET: 'servicenow-secret',
    // Never called: the tokens below do not expire during the test.
    SERVICENOW_INSTANCE_URL: `http://127.0.0.1:${await freePort()}`,
    SERVICENOW_API_URL: `${upstream.origin}/base/servicenow`,
  });
  const { sessions, sessionCookie } = harness.gateway.dependencies;
  const tokens = (accessToken: string) => ({
    accessToken,
    refreshToken: null,
    expiresAtMs: Date.now() + 3_600_000,
    scopes: ['any'],
    subject: null,
  });
  const graphOnly = await sessions.commitLogin({
    previous: null,
    provider: 'graph',
    tokens: tokens('graph-access'),
    user: null,
  });
  const both = await sessions.commitLogin({
    previous: await sessions.loadSnapshot(graphOnly),
    provider: 'servicenow',
    tokens: tokens('servicenow-access'),
    user: null,
  });
  cookie = `bff-session=${await sessionCookie.seal(both)}`;
});
afterAll(async () => {
  await harness.close();
  await upstream.close();
});

/** `target` raw on its own connection, as a signed-in SPA would send it; resolves with the status and what the upstream received. */
async function send(target: string): Promise<{ statuses: readonly number[]; received: string[] }> {
  upstream.reset();
  const text = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-CSRF: 1\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`;
  // eslint-disable-next-line no-control-regex -- characters past Latin-1 go out as UTF-8, like a careless client's
  const bytes = /[^\u0000-\u00ff]/.test(text) ? Buffer.from(text, 'utf8') : text;
  const answer = await sendRaw(Number(new URL(harness.url).port), bytes);
  return { statuses: answer.statuses, received: upstream.requests.map((request) => request.url) };
}

function under(mount: string, graphTarget: string): string {
  return graphTarget.replace('/graph', mount).replace('/GRAPH', mount.toUpperCase());
}

for (const { mount, base } of mounts) {
  describe(`${mount}: hostile targets`, () => {
    const targets = [...hostileTargets.map(({ target }) => target), ...moreHostileTargets]
      // The corpus's "another mount" row is a legitimate ServiceNow path here, where both are enabled.
      .filter((target) => /graph/i.test(target));
    for (const graphTarget of targets) {
      const target = under(mount, graphTarget);
      it(`${JSON.stringify(target)} is answered 400 or 404 and nothing reaches the upstream`, async () => {
        const { statuses, received } = await send(target);
        expect(statuses).toHaveLength(1);
        expect([400, 404]).toContain(statuses[0]);
        expect(received).toEqual([]);
      });
    }
  });

  describe(`${mount}: legitimate targets`, () => {
    for (const { target: graphTarget, upstreamPath } of legitimateTargets) {
      // A raw space cannot cross the wire (Node answers 400): a client sends it encoded.
      const target = under(mount, graphTarget).replaceAll(' ', '%20');
      it(`${JSON.stringify(target)} arrives once, byte-exact, under ${base}`, async () => {
        const { statuses, received } = await send(target);
        expect(statuses).toEqual([200]);
        // httpxy joins the base path and a lone `/` without a trailing slash.
        const expected = upstreamPath === '/' ? base : `${base}${upstreamPath}`;
        expect(received).toEqual([expected]);
        expect(received.every((url) => staysUnderBasePath(url, base))).toBe(true);
      });
    }

    it('a matrix parameter on an ordinary segment is forwarded as is, under the base path', async () => {
      const { statuses, received } = await send(`${mount}/v1.0/me;x=1`);
      expect(statuses).toEqual([200]);
      expect(received).toEqual([`${base}/v1.0/me;x=1`]);
      expect(staysUnderBasePath(received[0] ?? '', base)).toBe(true);
    });
  });
}
