import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { type ParseError, parse as parseLoose, printParseErrorCode } from 'jsonc-parser';
import { lineColumn, TrailguardError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file's text and the SHA-256 of its bytes; file errors become one clear diagnostic. */
export async function readTextFile(file: string, what: string): Promise<{ text: string; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file);
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
async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(`not a regular file: ${kindOf(info)}`), { code: 'ENOTREG', kind: kindOf(info) });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
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
    case 'ENOTREG':
      return { code: 'file-unreadable' as const, file, message: `${what} must be a file, found ${(error as { kind: string }).kind}` };
    case 'EACCES':
    case 'EPERM':
      return { code: 'file-unreadable' as const, file, message: `${what} cannot be read: permission denied` };
    default:
      return { code: 'file-unreadable' as const, file, message: `${what} cannot be read: ${(error as Error).message}` };
  }
}

/** Parses JSON; a syntax error is reported at its line and column with what the parser expected. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const first = firstParseError(text);
    const offset = first?.offset ?? text.length;
    const { line, column } = lineColumn(text, offset);
    const problem = first === undefined ? (error as Error).message : describeParseError(printParseErrorCode(first.error), text, offset);
    throw new TrailguardError({ code: 'json-syntax', file, line, column, message: `invalid JSON: ${problem}` }, { cause: error });
  }
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
