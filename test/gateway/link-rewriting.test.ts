// Following Graph's links through the gateway (contract §6): an SPA pages, deltas and batches through /graph without ever meeting Graph's host; other hosts' links stay as they are.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { directorySize, directoryUser } from '../support/mock-graph/paging.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started));

const csrf = { 'x-csrf': '1' };
let browser: TestBrowser;
beforeAll(async () => {
  browser = new TestBrowser();
  expect((await harness.login(browser)).status).toBe(302);
});
beforeEach(() => harness.graph.reset());

interface Page {
  value?: { id: string }[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** What the SPA sees of one answer: status, every header as text, and the body's text. */
async function get(url: string): Promise<{ status: number; headers: string; text: string }> {
  const response = await browser.fetch(url, { headers: csrf });
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  return { status: response.status, headers, text: await response.text() };
}

/** Graph's own origin (`http://127.0.0.1:<port>`) and its host: neither may reach the SPA. */
function graphHost(): string {
  return new URL(harness.graph.url).host;
}

describe('paging through /graph by following @odata.nextLink', () => {
  it('pages through 20 pages of /v1.0/users and never shows the SPA Graph’s host, in bodies or headers', async () => {
    let url: string | undefined = `${harness.url}/graph/v1.0/users?$top=5`;
    const seen: string[] = [];
    let pages = 0;
    while (url !== undefined) {
      const answer = await get(url);
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(graphHost());
      expect(answer.headers).not.toContain(graphHost());
      const page = JSON.parse(answer.text) as Page;
      seen.push(...(page.value ?? []).map((user) => user.id));
      pages += 1;
      url = page['@odata.nextLink'];
      if (url !== undefined)
        expect(url.startsWith(`${harness.url}/graph/v1.0/users?$top=5&`)).toBe(true);
    }
    expect(pages).toBe(20);
    expect(seen).toEqual(
      Array.from({ length: directorySize }, (_, index) => directoryUser(index).id),
    );
    // The opaque skip token reached Graph exactly as Graph wrote it (percent-encoding kept).
    const upstreamUrls = harness.graph.requests.map((request) => request.url);
    expect(upstreamUrls[1]).toMatch(/^\/v1\.0\/users\?\$top=5&\$skiptoken=[A-Za-z0-9]+%3D$/);
  });

  it('rewrites the @odata.deltaLink of a delta round, and the SPA can follow it', async () => {
    let url = `${harness.url}/graph/v1.0/users/delta?$top=25`;
    let page: Page = {};
    for (let round = 0; round < 4; round += 1) {
      page = JSON.parse((await get(url)).text) as Page;
      url = page['@odata.nextLink'] ?? '';
    }
    expect(page['@odata.nextLink']).toBeUndefined();
    const deltaLink = page['@odata.deltaLink'] ?? '';
    expect(deltaLink.startsWith(`${harness.url}/graph/v1.0/users/delta?$deltatoken=`)).toBe(true);
    expect((await get(deltaLink)).status).toBe(200);
    expect(harness.graph.requests.at(-1)?.url).toMatch(/^\/v1\.0\/users\/delta\?\$deltatoken=/);
  });

  it('rewrites the nextLinks inside $batch item bodies and leaves failed items as they are', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/$batch`, {
      method: 'POST',
      headers: { ...csrf, 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: '1', method: 'GET', url: '/users?$top=10' },
          { id: '2', method: 'GET', url: '/users/delta?$top=50' },
          { id: '3', method: 'GET', url: '/nowhere' },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(graphHost());
    const { responses } = JSON.parse(text) as {
      responses: { id: string; status: number; body: Page & { error?: unknown } }[];
    };
    expect(responses.map((item) => [item.id, item.status])).toEqual([
      ['1', 200],
      ['2', 200],
      ['3', 404],
    ]);
    expect(responses[0]?.body['@odata.nextLink']).toMatch(
      new RegExp(`^${harness.url}/graph/v1\\.0/users\\?\\$top=10&\\$skiptoken=`),
    );
    expect(responses[1]?.body['@odata.nextLink']).toMatch(
      new RegExp(`^${harness.url}/graph/v1\\.0/users/delta\\?\\$top=50&\\$skiptoken=`),
    );
    expect(responses[2]?.body).toEqual({
      error: { code: 'ResourceNotFound', message: 'Resource not found.' },
    });
  });
});

describe('headers that point back into Graph', () => {
  it('rewrites a Location on Graph’s own base (201 Created) to the gateway path', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/users`, {
      method: 'POST',
      headers: { ...csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'New User' }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const tenant = harness.openIdProvider.tenantId;
    expect(response.headers.get('location')).toBe(
      `${harness.url}/graph/v2/${tenant}/directoryObjects/${id}/Microsoft.DirectoryServices.User`,
    );
  });

  it('returns a 302 to another host untouched (the pre-authenticated download URL)', async () => {
    const response = await browser.fetch(`${harness.url}/graph/v1.0/me/drive/items/abc/content`, {
      headers: csrf,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      'https://download.example.invalid/preauth/abc?tempauth=xyz',
    );
  });

  it('rewrites each Link target on Graph’s base and leaves other hosts’ targets and parameters alone', async () => {
    const graph = harness.graph.url;
    harness.graph.route('GET', '/v1.0/linked', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        link: `<${graph}/v1.0/linked?page=2>; rel="next"; title="<${graph}/x>", <https://other.example/v1.0/a>; rel="help"`,
      });
      response.end('ok');
    });
    const response = await browser.fetch(`${harness.url}/graph/v1.0/linked`, { headers: csrf });
    expect(response.headers.get('link')).toBe(
      `<${harness.url}/graph/v1.0/linked?page=2>; rel="next"; title="<${graph}/x>", <https://other.example/v1.0/a>; rel="help"`,
    );
  });
});
