// Graph's JSON answers: the exact 401 for a missing, expired or revoked token, and the headers every answer carries.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** Graph's answer to a missing, expired or revoked token, body and challenge exactly. */
export const graphUnauthorizedBody = {
  error: {
    code: 'InvalidAuthenticationToken',
    message: 'Access token has expired or is not yet valid.',
  },
};
export const graphUnauthorizedChallenge =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'request-id': randomUUID(),
    connection: 'keep-alive',
    ...headers,
  });
  response.end(text);
}
