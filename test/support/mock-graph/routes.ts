// Mock Graph's built-in routes: /me, messages, upload, download, the pre-authenticated redirect, echo, slow, set-cookie, and the paged listings of paging.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeAccount } from '../openid-provider.ts';
import { pagingRoutes } from './paging.ts';
import { sendJson } from './responses.ts';
import { streamPattern, type BodyDigest, type MutableDownloadRecord } from './streaming.ts';

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  match: RegExpExecArray;
  subject: string;
  body: Promise<BodyDigest>;
}

export interface BuiltInRoute {
  methods: string[];
  path: RegExp;
  handle(context: RouteContext): void | Promise<void>;
}

export function builtInRoutes(
  tenantId: string,
  downloads: MutableDownloadRecord[],
): BuiltInRoute[] {
  return [
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me$/,
      handle({ response, subject }) {
        const account = describeAccount(subject, tenantId);
        sendJson(response, 200, {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
          id: account.objectId,
          displayName: account.displayName,
          mail: account.email,
          userPrincipalName: account.email,
        });
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me\/messages$/,
      handle({ response }) {
        sendJson(response, 200, {
          '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/messages",
          value: [
            { id: 'AAMkAGI2-message-1', subject: 'Quarterly report', isRead: false },
            { id: 'AAMkAGI2-message-2', subject: 'Lunch on Friday?', isRead: true },
          ],
        });
      },
    },
    {
      methods: ['POST', 'PUT'],
      path: /^\/v1\.0\/upload$/,
      async handle({ response, body }) {
        const digest = await body;
        sendJson(response, 200, { length: digest.length, sha256: digest.sha256 });
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/download$/,
      handle({ response, url }) {
        const bytes = url.searchParams.get('bytes') ?? '';
        if (!/^\d{1,10}$/.test(bytes))
          return sendJson(response, 400, {
            error: { code: 'BadRequest', message: 'bytes must be a non-negative integer' },
          });
        const record: MutableDownloadRecord = {
          requestedBytes: Number(bytes),
          writtenBytes: 0,
          outcome: 'streaming',
        };
        downloads.push(record);
        return streamPattern(response, record);
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/me\/drive\/items\/([^/]+)\/content$/,
      handle({ response, match }) {
        // Graph hands out a pre-authenticated URL on another host: it must never get the bearer.
        const location = `https://download.example.invalid/preauth/${match[1] ?? ''}?tempauth=xyz`;
        response.writeHead(302, { location, 'content-length': '0', connection: 'keep-alive' });
        response.end();
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/echo$/,
      handle({ request, response }) {
        sendJson(response, 200, request.headers);
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/slow$/,
      handle({ response, url }) {
        const milliseconds = Number(url.searchParams.get('ms') ?? '0') || 0;
        const timer = setTimeout(
          () => sendJson(response, 200, { waitedMs: milliseconds }),
          milliseconds,
        );
        // A client that gave up leaves nothing pending in the stand-in.
        response.once('close', () => clearTimeout(timer));
      },
    },
    {
      methods: ['GET'],
      path: /^\/v1\.0\/set-cookie$/,
      handle({ response }) {
        sendJson(
          response,
          200,
          { ok: true },
          { 'set-cookie': 'upstream=1; Path=/', 'www-authenticate': 'Bearer realm="graph"' },
        );
      },
    },
    ...pagingRoutes(tenantId),
  ];
}
