import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { Tokenizer, TokenizerError, TokenParser, TokenType } from '@streamparser/json';
import { TrailguardError } from '../core/errors.js';
import type { DuplicateKey } from './json-duplicates.js';
import { locateInJson } from './json-location.js';
import { refuseRepeated } from './read-input.js';
import { escapePointer, pointerSegments } from './schema-validation.js';

/**
 * A JSON file longer than the longest string Node.js holds (512 MiB) cannot be read as one text. It is read in
 * chunks instead: hashed, checked as UTF-8, and tokenized by `@streamparser/json` as it comes, the values assembled
 * as JSON.parse would (a `"__proto__"` name is data) and a name repeated in one object caught as it is met. Nothing
 * of the text is kept: problems are located afterwards by reading the file again, only when there are problems.
 */

const CHUNK = 1 << 20;
/** The token parser's state when the next string is a name (its TokenParserState.KEY, which it does not export). */
const KEY = 1;
/** How far past a recorded position a located value is looked for: a trail or a key entry (policy ≤ 32 KB) is smaller. */
const WINDOW = 256 << 10;

/** What the token parser keeps public in JavaScript but private in its types: where it is in the document. */
interface ParserPosition {
  readonly state: number;
  readonly value: unknown;
  readonly stack: readonly { readonly key?: string | number }[];
}

/** A parsed large JSON file: its data, the SHA-256 of its bytes, the names it repeats, and how to locate in it. */
export interface StreamedJson {
  readonly data: unknown;
  readonly sha256: string;
  readonly repeated: readonly DuplicateKey[];
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
  /** The line and column of a byte offset (as `repeated` gives them). */
  at(offset: number): { line: number; column: number };
}

/** Reads and parses a large JSON file; `ignore` leaves some repeated names to a more specific check. */
export function readStreamedJson(file: string, what: string, ignore: (duplicate: DuplicateKey) => boolean = () => false): StreamedJson {
  const fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new TrailguardError({ code: 'file-unreadable', file, message: `${what} must be a file` });
    const lines = new LineIndex(file);
    const hash = createHash('sha256');
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const tokenizer = new Tokenizer();
    const parser = new TokenParser({ paths: ['$'] });
    const position = parser as unknown as ParserPosition;
    const all: DuplicateKey[] = [];
    let last: { value: unknown; offset: number } | undefined;
    let data: unknown;
    let done = false;
    parser.onValue = ({ value }) => {
      data = value;
      done = true;
    };
    tokenizer.onToken = (token) => {
      if (token.token === TokenType.STRING && position.state === KEY && Object.hasOwn(position.value as object, token.value as string)) {
        const pointer = position.stack
          .slice(1)
          .map((s) => `/${escapePointer(String(s.key))}`)
          .join('');
        all.push({ pointer, key: token.value as string, offset: token.offset });
      }
      last = token;
      parser.write(token);
    };
    const buffer = Buffer.allocUnsafe(CHUNK);
    let offset = 0;
    try {
      for (let read = readSync(fd, buffer, 0, CHUNK, offset); read > 0; read = readSync(fd, buffer, 0, CHUNK, offset)) {
        const chunk = buffer.subarray(0, read);
        hash.update(chunk);
        utf8.decode(chunk, { stream: true });
        lines.add(chunk);
        tokenizer.write(chunk);
        offset += read;
      }
      utf8.decode();
      tokenizer.end();
    } catch (error) {
      if (error instanceof TypeError && (error as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA')
        throw new TrailguardError({ code: 'encoding', file, message: `${what} is not valid UTF-8 text` }, { cause: error });
      throw new TrailguardError(syntaxError(file, lines, error, last, offset), { cause: error });
    }
    if (!done)
      throw new TrailguardError({
        code: 'json-syntax',
        file,
        ...lines.at(offset),
        message: 'invalid JSON: expected a value, found the end of the file',
      });
    const ignored = refuseRepeated(file, all, ignore, (offset) => lines.at(offset));
    const locator = new Locator(file, lines);
    return {
      data,
      sha256: hash.digest('hex'),
      repeated: ignored,
      locate: (pointer, atKey) => locator.locate(pointer, atKey),
      at: (offset) => lines.at(offset),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * A syntax error at the token the parser refused (`Unexpected NUMBER (1) in state COLON`) or the character the
 * tokenizer refused (`Unexpected "}" at … (absolute position "9") in state TRUE3`).
 */
function syntaxError(file: string, lines: LineIndex, error: unknown, last: { value: unknown; offset: number } | undefined, readTo: number) {
  const message = error instanceof Error ? error.message : String(error);
  const byTokenizer = error instanceof TokenizerError;
  const position = /absolute position "(\d+)"/.exec(message)?.[1];
  const offset = byTokenizer ? (position === undefined ? readTo : Number(position)) : (last?.offset ?? readTo);
  const found = byTokenizer ? /Unexpected "(.*?)"/.exec(message)?.[1] : last === undefined ? undefined : String(last.value);
  const state = /in state (\w+)/.exec(message)?.[1] ?? '';
  const expected: Record<string, string> = {
    VALUE: 'a value',
    KEY: 'a property name in double quotes',
    COLON: 'a colon',
    COMMA: 'a comma or a closing bracket',
    START: 'the end of the file',
    ENDED: 'the end of the file',
  };
  return {
    code: 'json-syntax' as const,
    file,
    ...lines.at(offset),
    message: `invalid JSON: expected ${expected[state] ?? 'a JSON value'}, found ${found === undefined ? 'something else' : JSON.stringify(found)}`,
  };
}

/** Where each chunk starts and how many lines come before it: a byte offset becomes a line and column. */
class LineIndex {
  private readonly starts: number[] = [];
  private readonly linesBefore: number[] = [];
  private end = 0;
  private lines = 0;

  constructor(private readonly file: string) {}

  read(bytes: Buffer, position: number, length = bytes.length): number {
    const fd = openSync(this.file, fsConstants.O_RDONLY);
    try {
      return readSync(fd, bytes, 0, length, position);
    } finally {
      closeSync(fd);
    }
  }

  add(chunk: Buffer): void {
    this.starts.push(this.end);
    this.linesBefore.push(this.lines);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    this.end += chunk.length;
  }

  /** The line and column (in characters, as in a text editor) of a byte offset. */
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo] ?? 0;
    const bytes = Buffer.allocUnsafe(Math.max(0, Math.min(offset, this.end) - start));
    this.read(bytes, start);
    let line = (this.linesBefore[lo] ?? 0) + 1;
    let lineStart = -1;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) {
      line++;
      lineStart = i;
    }
    if (lineStart === -1 && lo > 0) return { line, column: this.columnAcross(start, bytes) };
    return { line, column: bytes.subarray(lineStart + 1).toString('utf8').length + 1 };
  }

  /** The column of the end of `bytes` when its line began in an earlier chunk. */
  private columnAcross(start: number, bytes: Buffer): number {
    let from = start;
    let column = bytes.toString('utf8').length;
    const back = Buffer.allocUnsafe(CHUNK);
    while (from > 0) {
      const size = Math.min(CHUNK, from);
      this.read(back, from - size, size);
      const newline = back.subarray(0, size).lastIndexOf(10);
      column += back.subarray(newline + 1, size).toString('utf8').length;
      if (newline !== -1) break;
      from -= size;
    }
    return column + 1;
  }
}

/**
 * Locates JSON Pointers in a large file. The first time, one more pass records where each top-level member and each
 * member of a top-level list or object starts (a trail, a key entry); a pointer is then found by reading the text
 * of its nearest recorded ancestor only.
 */
class Locator {
  private starts: Map<string, { readonly value: number; readonly name?: number }> | undefined;

  constructor(
    private readonly file: string,
    private readonly lines: LineIndex,
  ) {}

  locate(pointer: string, atKey = false): { line: number; column: number } {
    this.starts ??= this.record();
    const segments = pointerSegments(pointer);
    for (let depth = Math.min(2, segments.length); depth >= 1; depth--) {
      const ancestor = segments
        .slice(0, depth)
        .map((s) => `/${escapePointer(s)}`)
        .join('');
      const recorded = this.starts.get(ancestor);
      if (recorded === undefined) continue;
      if (depth === segments.length && atKey && recorded.name !== undefined) return this.lines.at(recorded.name);
      const start = recorded.value;
      const bytes = Buffer.allocUnsafe(WINDOW);
      const read = this.lines.read(bytes, start);
      const inner = segments
        .slice(depth)
        .map((s) => `/${escapePointer(s)}`)
        .join('');
      const within = locateInJson(bytes.subarray(0, read).toString('utf8'), inner, atKey && inner !== '');
      const base = this.lines.at(start);
      return within.line === 1
        ? { line: base.line, column: base.column + within.column - 1 }
        : within.line > 1
          ? { line: base.line + within.line - 1, column: within.column }
          : base;
    }
    return { line: 1, column: 1 };
  }

  /** The byte offset of every value at depth one and two, and of its name in an object, by pointer. */
  private record(): Map<string, { value: number; name?: number }> {
    const starts = new Map<string, { value: number; name?: number }>();
    const tokenizer = new Tokenizer();
    const path: (string | number)[] = [];
    const kinds: ('object' | 'array')[] = [];
    let expectingKey = false;
    let pendingKey: string | undefined;
    let keyOffset = 0;
    const valueAt = (offset: number) => {
      if (kinds.length === 0) return;
      const top = kinds.length - 1;
      const key = kinds[top] === 'array' ? (path[top] as number) : (pendingKey as string);
      if (kinds.length <= 2)
        starts.set(
          [...path.slice(0, top), key].map((s) => `/${escapePointer(String(s))}`).join(''),
          kinds[top] === 'array' ? { value: offset } : { value: offset, name: keyOffset },
        );
      path[top] = key;
    };
    tokenizer.onToken = ({ token, value, offset }) => {
      const kind = kinds[kinds.length - 1];
      if (kind === 'object' && expectingKey && token === TokenType.STRING) {
        pendingKey = value as string;
        keyOffset = offset;
        expectingKey = false;
        return;
      }
      if (token === TokenType.LEFT_BRACKET || token === TokenType.LEFT_BRACE) {
        valueAt(offset);
        const object = token === TokenType.LEFT_BRACE;
        kinds.push(object ? 'object' : 'array');
        path.push(object ? '' : 0);
        expectingKey = object;
        return;
      }
      if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
        kinds.pop();
        path.pop();
        return;
      }
      if (token === TokenType.COMMA) {
        if (kind === 'object') expectingKey = true;
        else if (kind === 'array') path[path.length - 1] = (path[path.length - 1] as number) + 1;
        return;
      }
      if (token === TokenType.COLON) return;
      valueAt(offset);
    };
    const fd = openSync(this.file, fsConstants.O_RDONLY);
    try {
      const buffer = Buffer.allocUnsafe(CHUNK);
      let offset = 0;
      for (let read = readSync(fd, buffer, 0, CHUNK, offset); read > 0; read = readSync(fd, buffer, 0, CHUNK, offset)) {
        tokenizer.write(buffer.subarray(0, read));
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
    return starts;
  }
}
