// A streaming Transform over a JSON body that rewrites only the string values of `@odata.nextLink` / `@odata.deltaLink` members, at any depth, without ever parsing the document.
import { Transform, type TransformCallback } from 'node:stream';

/** Rewrites the raw content of one link value (between its quotes); null keeps it as it came. */
export type JsonLinkRewrite = (raw: Buffer) => Buffer | null;

/**
 * The longest link value held back while it is incomplete at a chunk boundary. Graph's skip and
 * delta tokens make links of a few hundred bytes to a few KiB; a longer value is passed on as it
 * came (not rewritten) rather than held, so memory stays bounded whatever the upstream sends.
 */
export const maximumHeldLinkBytes = 16 * 1024;

/**
 * Member names whose value is rewritten: OData JSON Format 4.0 §4.5.5 (`@odata.nextLink`) and §4.5.6
 * (`@odata.deltaLink`), also as the annotation of an expanded collection (`members@odata.nextLink`,
 * §4.5.5): a name that ends with one of them. A name spelled with escapes (`\u0040odata…`) is not
 * recognised; Graph never sends one.
 */
const linkNameSuffixes: readonly Buffer[] = [
  Buffer.from('@odata.nextLink'),
  Buffer.from('@odata.deltaLink'),
];
const longestSuffix = Math.max(...linkNameSuffixes.map((suffix) => suffix.length));

const emptyBuffer = Buffer.alloc(0);
const quote = 0x22;
const backslash = 0x5c;
const colon = 0x3a;

/** Where the lexer is (RFC 8259 §2, §7); only strings and what follows a link name matter. */
const Lexer = {
  /** Outside every string: looking for the next `"`. */
  Outside: 0,
  /** Inside a string that may turn out to be a link member's name. */
  InString: 1,
  /** After a link name: whitespace, then `:` makes it a member name. */
  AfterName: 2,
  /** After `name :`: whitespace, then `"` starts the value to rewrite. */
  AfterColon: 3,
  /** Inside the link value: held back until its closing quote. */
  InLink: 4,
} as const;
type LexerState = (typeof Lexer)[keyof typeof Lexer];

/**
 * Lexes the bytes as they pass: a string starts at an unescaped `"` and ends at the next one not
 * preceded by a `\` escape (every JSON syntax byte is ASCII, and no byte of a multi-byte UTF-8
 * sequence is, so bytes suffice). Bytes pass on unchanged (the same Buffer when nothing changed)
 * except a link value, which is held from its opening quote to its closing one, at most
 * `maximumHeldLinkBytes`, across any number of chunks. A chunk may split anything: a name, the
 * whitespace around `:`, an escape. Nothing is parsed or re-serialised (a number such as
 * 12345678901234567890 keeps its digits).
 */
export class ODataLinkStream extends Transform {
  readonly #rewrite: JsonLinkRewrite;
  #state: LexerState = Lexer.Outside;
  /** Inside a string: the previous byte was an unescaped backslash. */
  #escaped = false;
  /** The last bytes (≤ the longest name) of the current string's content seen in earlier chunks. */
  #nameTail: Buffer = emptyBuffer;
  /** The link value began in an earlier chunk: its content so far is held back here. */
  #linkContinues = false;
  readonly #held: Buffer[] = [];
  #heldLength = 0;

  constructor(rewrite: JsonLinkRewrite) {
    super();
    this.#rewrite = rewrite;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // A fault here must end this answer (the stream's `error`), never the process.
    try {
      this.#lex(chunk, done);
    } catch (error) {
      done(error as Error);
    }
  }

  #lex(chunk: Buffer, done: TransformCallback): void {
    if (chunk.length === 0) return done();
    const output: Buffer[] = [];
    let emittedUpTo = 0;
    /** Where the current string's content starts in this chunk (0 when it started earlier). */
    let contentStart = 0;
    // An escape begun by the previous chunk's last byte takes this chunk's first byte.
    let index = this.#escaped ? 1 : 0;
    this.#escaped = false;
    while (index < chunk.length) {
      const state = this.#state;
      if (state === Lexer.Outside) {
        index = indexOfQuote(chunk, index);
        if (index < chunk.length) {
          this.#enterString(Lexer.InString);
          contentStart = index + 1;
        }
        index += 1;
      } else if (state === Lexer.InString || state === Lexer.InLink) {
        const end = endOfString(chunk, index);
        if (end >= chunk.length) {
          this.#escaped = end > chunk.length;
          break;
        }
        if (state === Lexer.InLink)
          emittedUpTo = this.#emitLink(chunk, output, emittedUpTo, contentStart, end);
        const isName = state === Lexer.InString && this.#isLinkName(chunk, contentStart, end);
        this.#state = isName ? Lexer.AfterName : Lexer.Outside;
        index = end + 1;
      } else {
        const byte = chunk[index]!;
        index += 1;
        if (isJsonWhitespace(byte)) continue;
        if (state === Lexer.AfterName && byte === colon) this.#state = Lexer.AfterColon;
        else if (state === Lexer.AfterColon && byte === quote) {
          this.#enterString(Lexer.InLink);
          contentStart = index;
        } else {
          this.#state = Lexer.Outside;
          index -= 1; // not a link member after all: this byte is read again from outside
        }
      }
    }
    emittedUpTo = this.#carryOver(chunk, output, emittedUpTo, contentStart);
    if (emittedUpTo === 0 && output.length === 0) return done(null, chunk); // nothing changed
    if (emittedUpTo < chunk.length) output.push(chunk.subarray(emittedUpTo));
    if (output.length === 0) return done(); // all of it held back
    done(null, output.length === 1 ? output[0] : Buffer.concat(output));
  }

  override _flush(done: TransformCallback): void {
    // A body that ended inside a link value (truncated JSON): what was held goes out as it came.
    this.#linkContinues = false;
    done(null, this.#heldLength > 0 ? this.#takeHeld() : undefined);
  }

  #enterString(state: typeof Lexer.InString | typeof Lexer.InLink): void {
    this.#state = state;
    this.#escaped = false;
    this.#nameTail = emptyBuffer;
  }

  /** The string that closed at `end` ends with a link name (its content checked from its end). */
  #isLinkName(chunk: Buffer, contentStart: number, end: number): boolean {
    if (chunk[end - 1] !== 0x6b /* k */ && end > contentStart) return false; // fast reject
    const inChunk = chunk.subarray(Math.max(contentStart, end - longestSuffix), end);
    const content =
      this.#nameTail.length === 0 || inChunk.length >= longestSuffix
        ? inChunk
        : Buffer.concat([this.#nameTail, inChunk]);
    return linkNameSuffixes.some(
      (suffix) =>
        content.length >= suffix.length &&
        content.compare(suffix, 0, suffix.length, content.length - suffix.length) === 0,
    );
  }

  /** Emits the passed bytes before the value, then the value rewritten or as it came; returns the new emitted index. */
  #emitLink(
    chunk: Buffer,
    output: Buffer[],
    emittedUpTo: number,
    contentStart: number,
    end: number,
  ): number {
    const continued = this.#linkContinues;
    this.#linkContinues = false;
    const raw = continued
      ? Buffer.concat([...this.#takeHeldParts(), chunk.subarray(0, end)])
      : chunk.subarray(contentStart, end);
    const rewritten = this.#rewrite(raw);
    if (rewritten === null && !continued) return emittedUpTo; // unchanged, still in place
    if (!continued) output.push(chunk.subarray(emittedUpTo, contentStart));
    output.push(rewritten ?? raw);
    return end;
  }

  /**
   * At the chunk's end: a link value still open is held back (bounded), and a string still open keeps
   * its last bytes for the name check. Returns how far this chunk may be emitted.
   */
  #carryOver(chunk: Buffer, output: Buffer[], emittedUpTo: number, contentStart: number): number {
    if (this.#state === Lexer.InString) {
      const tail = chunk.subarray(contentStart);
      this.#nameTail =
        tail.length >= longestSuffix || this.#nameTail.length === 0
          ? Buffer.from(tail.subarray(-longestSuffix))
          : Buffer.concat([this.#nameTail, tail]).subarray(-longestSuffix);
      return emittedUpTo;
    }
    if (this.#state !== Lexer.InLink) return emittedUpTo;
    const start = this.#linkContinues ? 0 : contentStart;
    if (this.#heldLength + chunk.length - start > maximumHeldLinkBytes) {
      // Too long to be a link worth holding: everything goes on unchanged, the string is skipped.
      if (this.#linkContinues) output.push(this.#takeHeld());
      this.#linkContinues = false;
      this.#state = Lexer.InString;
      this.#nameTail = emptyBuffer;
      return emittedUpTo;
    }
    if (!this.#linkContinues) output.push(chunk.subarray(emittedUpTo, start));
    this.#linkContinues = true;
    // A copy: the held bytes must not keep the whole upstream chunk alive, nor depend on its reuse.
    if (start < chunk.length) this.#held.push(Buffer.from(chunk.subarray(start)));
    this.#heldLength += chunk.length - start;
    return chunk.length;
  }

  #takeHeldParts(): Buffer[] {
    const parts = this.#held.splice(0);
    this.#heldLength = 0;
    return parts;
  }

  #takeHeld(): Buffer {
    return Buffer.concat(this.#takeHeldParts());
  }
}

/**
 * False when the body cannot hold a link member: neither name appears in its bytes (the lexer only
 * recognises names spelled as these bytes). One `indexOf` per name, far cheaper than the lexer.
 */
export function mayHoldODataLinks(body: Buffer): boolean {
  return linkNameSuffixes.some((suffix) => body.includes(suffix));
}

/** The stream's rewrite over a whole body at once, synchronously (the lexer never waits). */
export function rewriteODataLinksAtOnce(body: Buffer, rewrite: JsonLinkRewrite): Buffer {
  const lexer = new ODataLinkStream(rewrite);
  const parts: Buffer[] = [];
  const collect = (error?: Error | null, data?: Buffer): void => {
    if (error) throw error;
    if (data !== undefined) parts.push(data);
  };
  lexer._transform(body, 'binary', collect); // the encoding is ignored: chunks are Buffers
  lexer._flush(collect);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The index of the next `"` from `from`, or the chunk's length. A plain loop: V8 runs it faster than `indexOf`'s call per string. */
function indexOfQuote(bytes: Buffer, from: number): number {
  let index = from;
  while (index < bytes.length && bytes[index] !== quote) index += 1;
  return index;
}

/**
 * The index of the quote that closes the string being read from `from` (RFC 8259 §7: a `\` escapes
 * the next byte; `\uXXXX` has no quote in it), or past the chunk's end: its length, or its length + 1
 * when its last byte is a `\` whose escaped byte comes in the next chunk.
 */
function endOfString(bytes: Buffer, from: number): number {
  let index = from;
  while (index < bytes.length) {
    const byte = bytes[index];
    if (byte === quote) return index;
    index += byte === backslash ? 2 : 1;
  }
  return index;
}

/** RFC 8259 §2: space, horizontal tab, line feed, carriage return. */
function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
