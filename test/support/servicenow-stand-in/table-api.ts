// ServiceNow's REST API on the instance: bearer checked first, then the incident and sys_user tables paged with absolute Link headers, per-test route overrides, ServiceNow's error bodies.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-helpers.ts';
import {
  sendJson,
  sendJsonText,
  serviceNowNotFoundBody,
  serviceNowUnauthenticatedBody,
  serviceNowUnauthenticatedChallenge,
  type ApiRequestRecord,
  type ServiceNowRouteHandler,
} from './answers.ts';
import type { TokenLedger } from './ledger.ts';

export type Incident = Readonly<Record<string, unknown>> & {
  readonly sys_id: string;
  readonly number: string;
};

/** The fixed records every instance starts with; `POST` appends to them. */
export function initialIncidents(): Incident[] {
  return [
    {
      sys_id: '9d385017c611228701d22104cc95c371',
      number: 'INC0010001',
      short_description: 'Unable to connect to the VPN from home',
    },
    {
      sys_id: 'e8caedcbc0a80164017df472f39eaed1',
      number: 'INC0010002',
      short_description: 'Email attachments do not open in Outlook',
    },
    {
      sys_id: '46b66a40a9fe198101f243dfbc79033d',
      number: 'INC0010003',
      short_description: 'Printer on floor 3 jams on every job',
    },
  ];
}

/** A read-only table large enough to page through: `sysparm_limit=10` gives 20 pages. */
export const userTableSize = 200;
const users: readonly Readonly<Record<string, string>>[] = Array.from(
  { length: userTableSize },
  (_, index) => ({
    sys_id: (index + 1).toString(16).padStart(32, '0'),
    user_name: `user.${String(index + 1).padStart(3, '0')}`,
    email: `user.${String(index + 1).padStart(3, '0')}@acme.example`,
  }),
);

export interface TableApiContext {
  readonly ledger: TokenLedger;
  readonly apiRequests: ApiRequestRecord[];
  /** Keyed `${METHOD} ${pathname}`. */
  readonly overrides: ReadonlyMap<string, ServiceNowRouteHandler>;
  readonly incidents: Incident[];
}

/**
 * Records the request, then answers: an override as the test wrote it (no bearer check, like
 * mock-graph), else ServiceNow's 401 before any routing, so an unknown path without a token is a 401.
 */
export async function answerApi(
  context: TableApiContext,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  const method = (request.method ?? 'GET').toUpperCase();
  const record: ApiRequestRecord = {
    method,
    path: url.pathname,
    query: url.search.slice(1),
    ...context.ledger.checkBearer(request.headers.authorization),
    body: await readBody(request),
    headers: redactedHeaders(request.headers),
  };
  context.apiRequests.push(record);
  const override = context.overrides.get(`${method} ${url.pathname}`);
  if (override !== undefined) return override(request, response, record);
  if (!url.pathname.startsWith('/api/')) {
    response.writeHead(404, { 'content-type': 'text/html;charset=UTF-8' });
    return void response.end('<html><body><p>Page not found</p></body></html>');
  }
  if (record.bearer !== 'valid')
    return sendJsonText(response, 401, serviceNowUnauthenticatedBody, {
      'www-authenticate': serviceNowUnauthenticatedChallenge,
    });
  const origin = instanceOriginOf(request, url);
  if (url.pathname === '/api/now/table/incident' && method === 'GET')
    return sendTablePage(response, origin, url, context.incidents);
  if (url.pathname === '/api/now/table/sys_user' && method === 'GET')
    return sendTablePage(response, origin, url, users);
  if (url.pathname === '/api/now/table/incident' && method === 'POST')
    return createIncident(context.incidents, record.body, response, origin);
  sendJsonText(response, 404, serviceNowNotFoundBody);
}

/**
 * The instance names itself absolutely in its links. The stand-in names the host its client used
 * (the `Host` header), so the links are on whatever origin SERVICENOW_INSTANCE_URL names.
 */
function instanceOriginOf(request: IncomingMessage, url: URL): string {
  return request.headers.host === undefined ? url.origin : `http://${request.headers.host}`;
}

/**
 * One page of a table, as the Table API pages: `sysparm_limit` (default 10000) and `sysparm_offset`,
 * `X-Total-Count`, and a `Link` header of absolute URLs on the instance (`first`, `prev`, `next`,
 * `last`, comma-separated, no space, other query parameters kept).
 */
function sendTablePage(
  response: ServerResponse,
  origin: string,
  url: URL,
  rows: readonly Readonly<Record<string, unknown>>[],
): void {
  const limit = Math.max(Number(url.searchParams.get('sysparm_limit') ?? '10000') || 10000, 1);
  const offset = Math.max(Number(url.searchParams.get('sysparm_offset') ?? '0') || 0, 0);
  const pageAt = (pageOffset: number): string => {
    const query = new URLSearchParams(url.searchParams);
    query.set('sysparm_limit', String(limit));
    query.set('sysparm_offset', String(pageOffset));
    return `${origin}${url.pathname}?${query.toString()}`;
  };
  const lastOffset = Math.max(Math.ceil(rows.length / limit) - 1, 0) * limit;
  const links = [`<${pageAt(0)}>;rel="first"`];
  if (offset > 0) links.push(`<${pageAt(Math.max(offset - limit, 0))}>;rel="prev"`);
  if (offset + limit < rows.length) links.push(`<${pageAt(offset + limit)}>;rel="next"`);
  links.push(`<${pageAt(lastOffset)}>;rel="last"`);
  sendJsonText(response, 200, JSON.stringify({ result: rows.slice(offset, offset + limit) }), {
    link: links.join(','),
    'x-total-count': String(rows.length),
  });
}

function createIncident(
  incidents: Incident[],
  body: string,
  response: ServerResponse,
  origin: string,
): void {
  let fields: unknown;
  try {
    fields = JSON.parse(body);
  } catch {
    fields = undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return sendJson(response, 400, {
      error: {
        message: 'Exception while reading request',
        detail: 'The payload is not valid JSON.',
      },
      status: 'failure',
    });
  const incident: Incident = {
    ...(fields as Record<string, unknown>),
    sys_id: randomBytes(16).toString('hex'),
    number: `INC${String(10_001 + incidents.length).padStart(7, '0')}`,
  };
  incidents.push(incident);
  // Like the instance: the new record's absolute URL on the instance.
  sendJsonText(response, 201, JSON.stringify({ result: incident }), {
    location: `${origin}/api/now/table/incident/${incident.sys_id}`,
  });
}

/** A record may be printed by a failing test: the bearer must not be in it. */
function redactedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const copy: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) copy[name] = name === 'authorization' ? '<redacted>' : value;
  return copy;
}
