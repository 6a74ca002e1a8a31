// The OData link stream under arbitrary documents and chunkings (fast-check): the same bytes whatever the chunk boundaries, only link members' values changed, a bounded hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLinkRewriter } from '../../src/proxy/link-rewriting.ts';
import { maximumHeldLinkBytes, ODataLinkStream } from '../../src/proxy/odata-link-stream.ts';

const upstream = 'https://graph.example';
const rewriter = createLinkRewriter({
  apiUrl: new URL(upstream),
  publicOrigin: 'https://app.example',
  mountPrefix: '/graph',
});

/** Streams `document` cut at `cuts` (chunk sizes, cycled) through a fresh link stream. */
async function streamed(document: Buffer, cuts: readonly number[]): Promise<Buffer> {
  const stream = new ODataLinkStream((raw) => rewriter.rewriteJsonStringContent(raw));
  const output: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => output.push(chunk));
  const ended = new Promise((resolve) => stream.once('end', resolve));
  for (let offset = 0, turn = 0; offset < document.length; turn += 1) {
    const size = cuts.length === 0 ? document.length : (cuts[turn % cuts.length] ?? 1);
    stream.write(document.subarray(offset, offset + size));
    offset += size;
  }
  stream.end();
  await ended;
  return Buffer.concat(output);
}

/** What the rewrite means on the parsed value: link members' string values mapped, nothing else. */
function expected(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expected);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, `__proto__` included, as JSON.parse does.
  return Object.fromEntries(
    Object.entries(value).map(([name, member]) => {
      const isLink = name.endsWith('@odata.nextLink') || name.endsWith('@odata.deltaLink');
      const mapped = typeof member === 'string' ? rewriter.rewriteUrl(member) : null;
      return [name, isLink && mapped !== null ? mapped : expected(member)];
    }),
  );
}

const link = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9%$=&?/.~-]{0,40}$/).map((rest) => `${upstream}/v1.0/users${rest}`),
  fc.webUrl(),
  fc.constantFrom(`${upstream}/v1.0/../x`, `${upstream}.evil/v1.0/x`, `${upstream}`),
);
const name = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    '@odata.nextLink',
    '@odata.deltaLink',
    'members@odata.nextLink',
    'nextLink',
    '@odata.nextLinks',
    'a"@odata.nextLink',
  ),
);
const { document } = fc.letrec((tie) => ({
  document: fc.dictionary(name, tie('value'), { maxKeys: 5 }),
  value: fc.oneof(
    { depthSize: 'small' },
    link,
    fc.jsonValue({ maxDepth: 1 }),
    tie('document'),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
}));
const layout = fc.record({
  indent: fc.constantFrom(0, 1, '\t'),
  escapeSlashes: fc.boolean(),
  cuts: fc.array(fc.integer({ min: 1, max: 23 }), { maxLength: 8 }),
});

function serialise(value: unknown, options: { indent: number | string; escapeSlashes: boolean }) {
  const text = JSON.stringify(value, null, options.indent);
  // `/` occurs only inside JSON strings, where `\/` means the same (RFC 8259 §7).
  return Buffer.from(options.escapeSlashes ? text.replaceAll('/', '\\/') : text);
}

describe('the OData link stream', () => {
  it('rewrites exactly the link members’ values, at any depth, whatever the chunking and escaping', async () => {
    await fc.assert(
      fc.asyncProperty(document, layout, async (value, options) => {
        const bytes = serialise(value, options);
        const whole = await streamed(bytes, []);
        expect(JSON.parse(whole.toString())).toEqual(expected(JSON.parse(bytes.toString())));
        expect((await streamed(bytes, options.cuts)).equals(whole)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('passes a document without a link to the upstream byte for byte, numbers and escapes included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json(), layout, async (text, options) => {
        const bytes = Buffer.from(`{"n":12345678901234567890123,"v":${text}}`);
        expect((await streamed(bytes, options.cuts)).equals(bytes)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('holds 16 KiB at most (ARCHITECTURE.md): a 20 KiB link passes as it came, a 15 KiB one is rewritten', async () => {
    const linkOf = (bytes: number) => `${upstream}/v1.0/users?$skiptoken=${'A'.repeat(bytes)}`;
    for (const [size, rewritten] of [
      [20 * 1024, false],
      [15 * 1024, true],
    ] as const) {
      const link = linkOf(size);
      const bytes = Buffer.from(JSON.stringify({ '@odata.nextLink': link }));
      const out = JSON.parse((await streamed(bytes, [4096])).toString()) as Record<string, string>;
      expect(out['@odata.nextLink']).toBe(rewritten ? rewriter.rewriteUrl(link) : link);
    }
  });

  it('passes on a link value longer than the hold limit as it came, holding at most that many bytes', async () => {
    const long = `${upstream}/v1.0/users?$skiptoken=${'A'.repeat(maximumHeldLinkBytes * 2)}`;
    const bytes = Buffer.from(JSON.stringify({ '@odata.nextLink': long, after: `${upstream}/x` }));
    const stream = new ODataLinkStream((raw) => rewriter.rewriteJsonStringContent(raw));
    let received = 0;
    const output: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      output.push(chunk);
    });
    for (let offset = 0; offset < bytes.length; offset += 1000) {
      stream.write(bytes.subarray(offset, offset + 1000));
      await new Promise((resolve) => setImmediate(resolve));
      const written = Math.min(bytes.length, offset + 1000);
      expect(written - received).toBeLessThanOrEqual(maximumHeldLinkBytes + 1000);
    }
    stream.end();
    await new Promise((resolve) => stream.once('end', resolve));
    expect(received).toBe(bytes.length);
    // As it came means in order too: what was held goes out before the bytes that follow it.
    expect(Buffer.concat(output).equals(bytes)).toBe(true);
  });

  it('keeps its own copy of a held link: a chunk the upstream reuses after writing it changes nothing', async () => {
    const link = `${upstream}/v1.0/users?$skiptoken=abc`;
    const bytes = Buffer.from(JSON.stringify({ '@odata.nextLink': link, n: 1 }));
    const stream = new ODataLinkStream((raw) => rewriter.rewriteJsonStringContent(raw));
    const output: Buffer[] = [];
    // Copied on arrival: only the bytes the stream holds back are its own business.
    stream.on('data', (chunk: Buffer) => output.push(Buffer.from(chunk)));
    const ended = new Promise((resolve) => stream.once('end', resolve));
    // Cut inside the link value, so its first part is held while the second is on its way.
    const cut = bytes.indexOf('v1.0');
    const first = Buffer.from(bytes.subarray(0, cut));
    stream.write(first);
    await new Promise((resolve) => setImmediate(resolve)); // what was not held has been read
    first.fill(0x58); // the upstream's buffer, reused for its next read
    stream.write(Buffer.from(bytes.subarray(cut)));
    stream.end();
    await ended;
    expect(JSON.parse(Buffer.concat(output).toString())).toEqual({
      '@odata.nextLink': rewriter.rewriteUrl(link),
      n: 1,
    });
  });

  it('passes on what it held when the body ends inside a link value', async () => {
    const bytes = Buffer.from(`{"@odata.nextLink":"${upstream}/v1.0/us`);
    expect((await streamed(bytes, [3])).equals(bytes)).toBe(true);
  });
});
