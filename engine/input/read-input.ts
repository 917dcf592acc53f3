import { constants } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { type ParseError, parse as parseLoose, printParseErrorCode } from 'jsonc-parser';
import { type Diagnostic, lineColumn, quote, TrailguardError } from '../core/errors.js';
import { type DuplicateKey, duplicateKeys } from './json-duplicates.js';
import { displayPath } from './schema-validation.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const MiB = 1024 * 1024;

/**
 * The largest file of each kind trailguard reads. JSON inputs can be as large as Node.js can hold as one string; a
 * YAML document takes about a hundred times its size to parse, so YAML inputs are kept to what parses in seconds
 * (100,000 waivers are 13 MB). Past a limit the file is refused with one line, not a crash out of memory.
 */
export const SIZE_LIMITS = {
  snapshot: constants.MAX_STRING_LENGTH,
  'results file': constants.MAX_STRING_LENGTH,
  'waivers file': 16 * MiB,
  'rule tests file': 16 * MiB,
  'rule file': 1 * MiB,
  'pack file': 1 * MiB,
  'params file': 1 * MiB,
  template: 4 * MiB,
  'template file': 4 * MiB,
  'terraform plan': 512 * MiB,
  'accounts file': 1 * MiB,
} as const;

/**
 * The kinds of JSON file read in chunks past their size limit (json-stream.ts) instead of refused: a snapshot of a
 * very large account, the results of a very large run. Their parsed data must still fit in memory.
 */
export const STREAMED_KINDS: ReadonlySet<InputKind> = new Set(['snapshot', 'results file']);

/** The largest file read in chunks: past it the parsed data would not fit the memory Node.js gives a thread. */
export const STREAMED_LIMIT = 4 * 1024 * MiB;

/** The kinds of file trailguard reads, each with its size limit in `SIZE_LIMITS`. */
export type InputKind = keyof typeof SIZE_LIMITS;

/** A file's text and the SHA-256 of its bytes; file errors become one clear diagnostic. */
export async function readTextFile(file: string, what: InputKind): Promise<{ text: string; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, SIZE_LIMITS[what]);
  } catch (error) {
    if (error instanceof TrailguardError) throw error;
    throw new TrailguardError(fileError(error, file, what), { cause: error });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (error) {
    throw new TrailguardError({ code: 'encoding', file, message: `${what} is not valid UTF-8 text` }, { cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Reads a regular file. It is opened without blocking and checked before anything is read: a FIFO or a device would
 * otherwise block the read (and the process's exit) for ever.
 */
async function readRegularFile(file: string, limit: number): Promise<Buffer> {
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(`not a regular file: ${kindOf(info)}`), { code: 'ENOTREG', kind: kindOf(info) });
    if (info.size > limit) throw Object.assign(new Error('too large'), { code: 'ETOOLARGE', size: info.size, limit });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
}

/** A file past its kind's limit, in one line. */
export function tooLarge(file: string, what: string, size: number, limit: number): TrailguardError {
  return new TrailguardError({
    code: 'input-too-large',
    file,
    message: `${what} is ${mebibytes(size)}: trailguard reads a ${what} of at most ${mebibytes(limit)}${what === 'snapshot' ? '; collect the account in parts (--regions) and check the snapshots together' : ''}`,
  });
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function fileError(error: unknown, file: string, what: string) {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return { code: 'file-not-found' as const, file, message: `${what} not found: no such file` };
    case 'EISDIR':
      return { code: 'file-unreadable' as const, file, message: `${what} must be a file, found a directory` };
    case 'ETOOLARGE': {
      const { size, limit } = error as unknown as { size: number; limit: number };
      return tooLarge(file, what, size, limit).diagnostics[0] as Diagnostic;
    }
    case 'ENOTREG':
      return { code: 'file-unreadable' as const, file, message: `${what} must be a file, found ${(error as { kind: string }).kind}` };
    case 'EACCES':
    case 'EPERM':
      return { code: 'file-unreadable' as const, file, message: `${what} cannot be read: permission denied` };
    default:
      return { code: 'file-unreadable' as const, file, message: `${what} cannot be read: ${(error as Error).message}` };
  }
}

/**
 * Parses JSON; a syntax error is reported at its line and column with what the parser expected. A name repeated in
 * one object is an error too: JSON.parse keeps the last silently and other readers the first, so the file means
 * different things to different tools (`ignore` leaves some to a more specific check).
 */
export function parseJson(text: string, file: string, ignore: (duplicate: DuplicateKey) => boolean = () => false): unknown {
  return parseJsonText(text, file, ignore).data;
}

/** As {@link parseJson}, also giving the repeated names `ignore` left to a more specific check. */
export function parseJsonText(
  text: string,
  file: string,
  ignore: (duplicate: DuplicateKey) => boolean = () => false,
): { data: unknown; ignored: DuplicateKey[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const first = firstParseError(text);
    const offset = first?.offset ?? text.length;
    const { line, column } = lineColumn(text, offset);
    const problem = first === undefined ? (error as Error).message : describeParseError(printParseErrorCode(first.error), text, offset);
    throw new TrailguardError({ code: 'json-syntax', file, line, column, message: `invalid JSON: ${problem}` }, { cause: error });
  }
  return { data, ignored: refuseRepeated(file, duplicateKeys(text), ignore, (offset) => lineColumn(text, offset)) };
}

/**
 * Refuses a file that repeats a name in one object (the first ten repeats, each located through `at`), except the
 * repeats `ignore` leaves to a more specific check, which are returned.
 */
export function refuseRepeated(
  file: string,
  all: readonly DuplicateKey[],
  ignore: (duplicate: DuplicateKey) => boolean,
  at: (offset: number) => { line: number; column: number },
): DuplicateKey[] {
  const repeated = all.filter((d) => !ignore(d));
  if (repeated.length > 0) {
    throw new TrailguardError(
      repeated.slice(0, 10).map((d) => ({
        code: 'json-duplicate' as const,
        file,
        ...at(d.offset),
        message: `${d.pointer === '' ? 'the document' : displayPath(d.pointer)} holds ${quote(d.key)} twice: JSON readers disagree on which one counts, so trailguard does not read the file`,
      })),
    );
  }
  return all.length === repeated.length ? [] : all.filter(ignore);
}

function firstParseError(text: string): ParseError | undefined {
  const errors: ParseError[] = [];
  try {
    parseLoose(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch {
    // A document nested too deeply for the locating parser: report JSON.parse's own message instead.
    return undefined;
  }
  return errors[0];
}

function describeParseError(code: string, text: string, offset: number): string {
  const found = offset >= text.length ? 'the end of the file' : JSON.stringify(text.slice(offset, offset + 12).split(/[\r\n]/)[0]);
  const expected: Record<string, string> = {
    InvalidSymbol: 'a JSON value',
    InvalidNumberFormat: 'a number',
    PropertyNameExpected: 'a property name in double quotes',
    ValueExpected: 'a value',
    ColonExpected: 'a colon',
    CommaExpected: 'a comma',
    CloseBraceExpected: 'a closing }',
    CloseBracketExpected: 'a closing ]',
    EndOfFileExpected: 'the end of the file',
    InvalidCommentToken: 'no comment (JSON has none)',
    UnexpectedEndOfComment: 'the end of a comment',
    UnexpectedEndOfString: 'the end of the string',
    UnexpectedEndOfNumber: 'the end of the number',
    InvalidUnicode: 'a valid \\u escape',
    InvalidEscapeCharacter: 'a valid escape',
    InvalidCharacter: 'a valid character',
  };
  return `expected ${expected[code] ?? code}, found ${found}`;
}
