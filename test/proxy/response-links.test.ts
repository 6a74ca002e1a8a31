// Which upstream answers get a rewritten body (JSON of an OData upstream, 2xx with a body, a coding the gateway decodes) and what their headers become.
import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createResponseLinks } from '../../src/proxy/response-links.ts';

const options = {
  apiUrl: new URL('https://graph.example'),
  publicOrigin: 'https://app.example',
  mountPrefix: '/graph',
};
const graph = createResponseLinks({ ...options, rewriteODataLinks: true });
const serviceNow = createResponseLinks({ ...options, rewriteODataLinks: false });
const json = 'application/json;odata.metadata=minimal;charset=utf-8';

function prepared(method: string, status: number, headers: OutgoingHttpHeaders) {
  const copy = { ...headers };
  const stages = graph.prepare(method, status, copy);
  return { stages: stages?.length ?? null, headers: copy };
}

describe('which bodies are rewritten', () => {
  it.each([
    ['GET', 200, json],
    ['POST', 201, 'application/json'],
    ['GET', 200, 'Application/Problem+JSON'],
    ['GET', 200, ' application/json ; charset=utf-8'],
  ])('a %s answered %i with %s streams through the link stream', (method, status, type) => {
    expect(prepared(method, status, { 'content-type': type }).stages).toBe(1);
  });

  it.each([
    ['a HEAD', 'HEAD', 200, json],
    ['a 204', 'GET', 204, json],
    ['a 206 byte range', 'GET', 206, json],
    ['a redirect', 'GET', 302, json],
    ['an error', 'GET', 404, json],
    ['a download', 'GET', 200, 'application/octet-stream'],
    ['a JSON look-alike', 'GET', 200, 'application/jsonp'],
    ['an answer without a content type', 'GET', 200, undefined],
  ])('%s is piped as it came, its Content-Length kept', (_case, method, status, type) => {
    const headers = { 'content-type': type, 'content-length': '42' };
    expect(prepared(method, status, headers)).toEqual({ stages: null, headers });
  });

  it('never rewrites the body of an upstream that does not speak OData', () => {
    const headers = { 'content-type': json, 'content-length': '42' };
    expect(serviceNow.prepare('GET', 200, headers)).toBeNull();
    expect(headers['content-length']).toBe('42');
  });
});

describe('the headers of a rewritten body', () => {
  it('lose what describes the upstream’s exact bytes, and the coding once decoded', () => {
    const headers = {
      'content-type': json,
      'content-length': '42',
      'content-encoding': 'gzip',
      'content-digest': 'sha-256=:x:',
      etag: 'W/"1"',
    };
    expect(prepared('GET', 200, headers)).toEqual({
      stages: 2,
      headers: { 'content-type': json, etag: 'W/"1"' },
    });
  });

  it.each(['gzip', 'x-gzip', 'deflate', 'br', 'identity', 'GZIP', ' br '])(
    'decodes %s',
    (coding) => {
      const stages = prepared('GET', 200, { 'content-type': json, 'content-encoding': coding });
      expect(stages.stages).toBe(coding === 'identity' ? 1 : 2);
      // RFC 9110 §8.4.1: content-coding names are case-insensitive; a decoded coding is dropped.
      if (coding !== 'identity') expect(stages.headers['content-encoding']).toBeUndefined();
    },
  );

  it.each(['gzip, br', 'compress', 'x-unknown'])(
    'passes a body coded %s untouched rather than rewrite what it cannot read',
    (coding) => {
      const headers = { 'content-type': json, 'content-encoding': coding, 'content-length': '9' };
      expect(prepared('GET', 200, headers)).toEqual({ stages: null, headers });
    },
  );
});
