// Which upstream answers get a rewritten body (JSON of an OData upstream, 2xx with a body, a coding the gateway decodes), what their headers become, and how the streaming stages carry a body and let go of their exchange.
import type { OutgoingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { PassThrough, type Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chainedStages, createResponseLinks } from '../../src/proxy/response-links.ts';

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
  const plan = graph.prepare(method, status, copy);
  const stages = plan === null ? null : plan.kind === 'stream' ? plan.stages.length : 'whole';
  return { stages, headers: copy };
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

describe('a small body read whole', () => {
  const link = 'https://graph.example/v1.0/users?$skiptoken=a';
  const body = (text: string) => Buffer.from(text);
  function wholePlan(headers: OutgoingHttpHeaders) {
    const plan = graph.prepare('GET', 200, headers);
    if (plan?.kind !== 'whole') throw new Error(`expected a whole-body plan, got ${plan?.kind}`);
    return plan;
  }

  it.each([
    ['no length', { 'content-type': json }, 1],
    ['a length above the limit', { 'content-type': json, 'content-length': '65537' }, 1],
    ['a gzip body', { 'content-type': json, 'content-length': '9', 'content-encoding': 'gzip' }, 2],
    ['a malformed length', { 'content-type': json, 'content-length': '1e3' }, 1],
  ])('streams with %s', (_case, headers, stages) => {
    expect(prepared('GET', 200, headers).stages).toBe(stages);
  });

  it.each(['0', '42', '65536'])('is read whole with a Content-Length of %s', (length) => {
    const headers = { 'content-type': json, 'content-length': length };
    expect(wholePlan({ ...headers }).lengthBytes).toBe(Number(length));
    expect(prepared('GET', 200, { ...headers, 'content-encoding': 'identity' }).stages).toBe(
      'whole',
    );
  });

  it('leaves a body without a link member as it came: the same bytes, length and digest', () => {
    const text = `{"id":"1","note":"${link}","odata.nextLink":"${link}"}`;
    const headers = {
      'content-type': json,
      'content-length': String(text.length),
      'content-digest': 'sha-256=:x:',
    };
    const received = body(text);
    expect(wholePlan(headers).complete(received, headers)).toBe(received);
    expect(headers).toEqual({
      'content-type': json,
      'content-length': String(text.length),
      'content-digest': 'sha-256=:x:',
    });
  });

  it('rewrites every link member in one pass, its new length and no digest of the old bytes', () => {
    const text = `{"value":[{"members@odata.nextLink":"${link}"}],"@odata.deltaLink" : "${link}"}`;
    const headers: OutgoingHttpHeaders = {
      'content-type': json,
      'content-length': String(text.length),
      'repr-digest': 'sha-256=:x:',
      etag: 'W/"1"',
    };
    const rewritten = wholePlan(headers).complete(body(text), headers).toString();
    const expected = text.replaceAll(link, 'https://app.example/graph/v1.0/users?$skiptoken=a');
    expect(rewritten).toBe(expected);
    expect(headers).toEqual({
      'content-type': json,
      'content-length': String(Buffer.byteLength(expected)),
      etag: 'W/"1"',
    });
  });

  it('keeps the bytes and headers when its only links point elsewhere', () => {
    const text = `{"@odata.nextLink":"https://elsewhere.example/v1.0/users"}`;
    const headers = { 'content-type': json, 'content-length': String(text.length) };
    const received = body(text);
    expect(wholePlan(headers).complete(received, headers)).toBe(received);
    expect(headers['content-length']).toBe(String(text.length));
  });
});

describe('the stages of a streamed body', () => {
  function streamedStages(coding?: string): Transform[] {
    const headers = {
      'content-type': json,
      ...(coding === undefined ? {} : { 'content-encoding': coding }),
    };
    const plan = graph.prepare('GET', 200, headers);
    if (plan?.kind !== 'stream') throw new Error('expected a streamed body');
    return [...plan.stages];
  }

  it('carry the body to the destination, links rewritten', async () => {
    const destination = new PassThrough();
    const received: Buffer[] = [];
    destination.on('data', (chunk: Buffer) => received.push(chunk));
    const head = chainedStages(streamedStages(), destination, () => undefined);
    head.write('{"@odata.nextLink":"https://graph.example/v1.0/users?$skiptoken=a",');
    head.end('"value":[]}');
    await once(destination, 'end');
    expect(Buffer.concat(received).toString()).toBe(
      '{"@odata.nextLink":"https://app.example/graph/v1.0/users?$skiptoken=a","value":[]}',
    );
  });

  it('let go of the failure handler once closed: a finished stage must not keep its exchange alive', async () => {
    const stages = streamedStages('gzip');
    const failed = (): void => undefined;
    const head = chainedStages(stages, new PassThrough().resume(), failed);
    for (const stage of stages) expect(stage.listeners('error')).toContain(failed);
    head.end(await gzipped('{"value":[]}'));
    await Promise.all(stages.map((stage) => once(stage, 'close')));
    for (const stage of stages) expect(stage.listeners('error')).not.toContain(failed);
  });

  it('report a stage that fails (a corrupt gzip stream) to the failure handler', async () => {
    const stages = streamedStages('gzip');
    const failures: unknown[] = [];
    const head = chainedStages(stages, new PassThrough().resume(), (error) => failures.push(error));
    const closed = new Promise((resolve) => stages[0]!.on('close', resolve));
    head.end(Buffer.from('not gzip at all'));
    await closed;
    expect(failures).toHaveLength(1);
  });
});

async function gzipped(text: string): Promise<Buffer> {
  const { gzip } = await import('node:zlib');
  const { promisify } = await import('node:util');
  return promisify(gzip)(text);
}
