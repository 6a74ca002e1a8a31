// Mock Graph's paged answers, shaped like Graph's: /users and /users/delta linked by absolute @odata.nextLink / @odata.deltaLink, $batch, POST /users with a Location, gzip on request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { BuiltInRoute } from './routes.ts';

/** The directory `GET /v1.0/users` pages through: `$top=5` gives 20 pages. */
export const directorySize = 100;

/** Graph's own content type for JSON answers, parameters and all. */
export const odataContentType =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export interface DirectoryUser {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
}

export function directoryUser(index: number): DirectoryUser {
  const number = String(index + 1).padStart(3, '0');
  return {
    id: `00000000-0000-4000-8000-000000000${number}`,
    displayName: `Directory User ${number}`,
    userPrincipalName: `user${number}@contoso.example`,
  };
}

/**
 * Graph's links are absolute on its own host. The stand-in names the host its client used (the
 * `Host` header), so links are on whatever origin GRAPH_API_URL names, loopback or compose service.
 */
export function graphOriginOf(request: IncomingMessage): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}

/** An opaque token like Graph's (base64, so it carries `%3D` once URL-encoded): the offset inside. */
function pageToken(offset: number): string {
  return encodeURIComponent(Buffer.from(`RFNwdAIAAQAA:${offset}`).toString('base64'));
}
function offsetOf(token: string | null): number {
  if (token === null) return 0;
  const match = /^RFNwdAIAAQAA:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
  return match === null ? 0 : Number(match[1]);
}

/** One page of the directory, with the next page's link, or the delta link on the last page of a delta round. */
function usersPage(origin: string, path: string, query: URLSearchParams): Record<string, unknown> {
  const top = Math.min(Math.max(Number(query.get('$top') ?? '100') || 100, 1), 999);
  const offset = offsetOf(query.get('$skiptoken'));
  const value = Array.from({ length: Math.min(top, directorySize - offset) }, (_, index) =>
    directoryUser(offset + index),
  );
  const page: Record<string, unknown> = {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users',
    value,
  };
  const next = offset + top;
  if (next < directorySize)
    page['@odata.nextLink'] = `${origin}${path}?$top=${top}&$skiptoken=${pageToken(next)}`;
  else if (path.endsWith('/delta'))
    page['@odata.deltaLink'] = `${origin}${path}?$deltatoken=${pageToken(directorySize)}`;
  return page;
}

/** Sends JSON as Graph does, gzip-compressed when the request accepts it (Graph honours `Accept-Encoding`). */
export function sendODataJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = Buffer.from(JSON.stringify(body));
  const gzip = /\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''));
  const bytes = gzip ? gzipSync(text) : text;
  response.writeHead(status, {
    'content-type': odataContentType,
    'content-length': String(bytes.length),
    ...(gzip ? { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } : {}),
    'request-id': randomUUID(),
    connection: 'keep-alive',
    ...headers,
  });
  response.end(bytes);
}

interface BatchRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
}

function batchRequests(head: Buffer): BatchRequest[] | null {
  try {
    const parsed = JSON.parse(head.toString()) as { requests?: unknown };
    const requests = Array.isArray(parsed.requests) ? (parsed.requests as BatchRequest[]) : null;
    return requests !== null && requests.length >= 1 && requests.length <= 20 ? requests : null;
  } catch {
    return null;
  }
}

/** Each item answers like the same request alone would: `/users…` pages, anything else 404 (a failed item, batch still 200). */
function batchResponse(origin: string, item: BatchRequest): Record<string, unknown> {
  const url = new URL(item.url, 'http://batch.invalid/');
  const known = item.method === 'GET' && /^\/users(\/delta)?$/.test(url.pathname);
  return {
    id: item.id,
    status: known ? 200 : 404,
    headers: { 'Content-Type': odataContentType },
    body: known
      ? usersPage(origin, `/v1.0${url.pathname}`, url.searchParams)
      : { error: { code: 'ResourceNotFound', message: 'Resource not found.' } },
  };
}

export function pagingRoutes(tenantId: string): BuiltInRoute[] {
  return [
    {
      methods: ['GET'],
      path: /^\/v1\.0\/users(\/delta)?$/,
      handle({ request, response, url }) {
        const page = usersPage(graphOriginOf(request), url.pathname, url.searchParams);
        sendODataJson(request, response, 200, page);
      },
    },
    {
      methods: ['POST'],
      path: /^\/v1\.0\/users$/,
      handle({ request, response }) {
        const id = randomUUID();
        // Graph's Location for a created user: absolute, on its own host, under another version path.
        const location = `${graphOriginOf(request)}/v2/${tenantId}/directoryObjects/${id}/Microsoft.DirectoryServices.User`;
        sendODataJson(request, response, 201, { id }, { location });
      },
    },
    {
      methods: ['POST'],
      path: /^\/v1\.0\/\$batch$/,
      async handle({ request, response, body }) {
        const requests = batchRequests((await body).head);
        if (requests === null)
          return sendODataJson(request, response, 400, {
            error: { code: 'BadRequest', message: 'Invalid batch payload.' },
          });
        const origin = graphOriginOf(request);
        const responses = requests.map((item) => batchResponse(origin, item));
        sendODataJson(request, response, 200, { responses });
      },
    },
  ];
}
