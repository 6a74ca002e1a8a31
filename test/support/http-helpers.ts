// The raw node:http pieces the hand-written stand-ins share: reading a body, sending a scripted answer, reading an authorization request.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A whole HTTP answer sent as is, for failures a well-behaved server never produces. */
export interface ScriptedHttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The whole body as UTF-8: a token endpoint's form (RFC 6749 §3.2), or an API call to record. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A scripted answer as is; `no-store` because token responses must not be cached (RFC 6749 §5.1). */
export function sendScriptedAnswer(response: ServerResponse, answer: ScriptedHttpAnswer): void {
  response.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers });
  response.end(answer.body);
}

/**
 * A rate limiter's 429 in plain text: what the load balancer in front of any provider sends, so
 * both providers' ready failures offer the same one.
 */
export function tooManyRequestsText(): ScriptedHttpAnswer {
  return {
    status: 429,
    headers: { 'content-type': 'text/plain', 'retry-after': '60' },
    body: 'Too Many Requests',
  };
}

/** What every stand-in records of an authorization request: the RFC 6749 §4.1.1 and RFC 7636 §4.3 parameters. */
export function describeAuthorizationRequest(query: URLSearchParams): {
  readonly clientId: string | null;
  readonly redirectUri: string | null;
  readonly state: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: string | null;
} {
  return {
    clientId: query.get('client_id'),
    redirectUri: query.get('redirect_uri'),
    state: query.get('state'),
    codeChallenge: query.get('code_challenge'),
    codeChallengeMethod: query.get('code_challenge_method'),
  };
}
