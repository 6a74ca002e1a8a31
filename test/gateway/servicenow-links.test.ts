// Following ServiceNow's links through the gateway (contract §6): Table API pages linked by absolute `Link` headers, and a created record's `Location`, all on the gateway's /servicenow mount.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGatewayHarness, type GatewayHarness } from '../support/gateway-harness.ts';
import { userTableSize } from '../support/servicenow-stand-in/table-api.ts';
import { TestBrowser } from '../support/test-browser.ts';

let harness: GatewayHarness;
useGatewayHarness({}, (started) => (harness = started), { serviceNow: true });

const csrf = { 'x-csrf': '1' };
let browser: TestBrowser;
beforeAll(async () => {
  browser = new TestBrowser();
  expect((await harness.loginServiceNow(browser)).status).toBe(302);
});

function instance(): { url: string; host: string } {
  const url = harness.serviceNow?.url ?? '';
  return { url, host: new URL(url).host };
}

/** The targets of a `Link` field by relation, as an SPA's small parser would read them. */
function linksByRelation(link: string | null): Record<string, string> {
  const relations: Record<string, string> = {};
  for (const match of (link ?? '').matchAll(/<([^>]*)>;rel="([^"]+)"/g))
    relations[match[2] ?? ''] = match[1] ?? '';
  return relations;
}

describe('paging through a ServiceNow table by following Link rel="next"', () => {
  it('pages through 20 pages of sys_user and never shows the SPA the instance’s host', async () => {
    let url: string | undefined =
      `${harness.url}/servicenow/api/now/table/sys_user?sysparm_fields=user_name&sysparm_limit=10`;
    const userNames: string[] = [];
    let pages = 0;
    while (url !== undefined) {
      const response = await browser.fetch(url, { headers: csrf });
      expect(response.status).toBe(200);
      const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
      const text = await response.text();
      expect(headers).not.toContain(instance().host);
      expect(text).not.toContain(instance().host);
      userNames.push(
        ...(JSON.parse(text) as { result: { user_name: string }[] }).result.map(
          (row) => row.user_name,
        ),
      );
      const relations = linksByRelation(response.headers.get('link'));
      expect(relations.first).toBe(
        `${harness.url}/servicenow/api/now/table/sys_user?sysparm_fields=user_name&sysparm_limit=10&sysparm_offset=0`,
      );
      url = relations.next;
      pages += 1;
    }
    expect(pages).toBe(20);
    expect(userNames).toHaveLength(userTableSize);
    expect(new Set(userNames).size).toBe(userTableSize);
    expect(harness.serviceNow?.apiRequests.at(-1)?.query).toBe(
      'sysparm_fields=user_name&sysparm_limit=10&sysparm_offset=190',
    );
  });

  it('rewrites prev and last as well, on a page in the middle', async () => {
    const response = await browser.fetch(
      `${harness.url}/servicenow/api/now/table/sys_user?sysparm_limit=10&sysparm_offset=50`,
      { headers: csrf },
    );
    const base = `${harness.url}/servicenow/api/now/table/sys_user?sysparm_limit=10&sysparm_offset=`;
    expect(linksByRelation(response.headers.get('link'))).toEqual({
      first: `${base}0`,
      prev: `${base}40`,
      next: `${base}60`,
      last: `${base}190`,
    });
  });
});

describe('other links of the instance', () => {
  it('rewrites the Location of a created record (201) to the gateway path, which then works', async () => {
    const created = await browser.fetch(`${harness.url}/servicenow/api/now/table/incident`, {
      method: 'POST',
      headers: { ...csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ short_description: 'Badge reader offline' }),
    });
    expect(created.status).toBe(201);
    const { result } = (await created.json()) as { result: { sys_id: string } };
    expect(created.headers.get('location')).toBe(
      `${harness.url}/servicenow/api/now/table/incident/${result.sys_id}`,
    );
  });

  it('leaves ServiceNow’s JSON bodies byte for byte: only Graph speaks OData', async () => {
    const text = `{"@odata.nextLink":"${instance().url}/api/now/table/incident"}`;
    const remove = harness.serviceNow?.route('GET', '/api/now/odata', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(text.length),
      });
      response.end(text);
    });
    const response = await browser.fetch(`${harness.url}/servicenow/api/now/odata`, {
      headers: csrf,
    });
    expect(response.headers.get('content-length')).toBe(String(text.length));
    expect(await response.text()).toBe(text);
    remove?.();
  });

  it('leaves a Location on another host alone', async () => {
    const remove = harness.serviceNow?.route(
      'GET',
      '/api/now/attachment/1/file',
      (_request, response) => {
        response.writeHead(302, { location: 'https://files.example.invalid/attachment/1' });
        response.end();
      },
    );
    const response = await browser.fetch(`${harness.url}/servicenow/api/now/attachment/1/file`, {
      headers: csrf,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://files.example.invalid/attachment/1');
    remove?.();
  });
});
