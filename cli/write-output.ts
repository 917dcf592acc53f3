import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, createWriteStream, type Stats } from 'node:fs';
import { access, chmod, chown, lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { InternalError, TrailguardError } from '../engine/index.js';
import { announceTemp, removeStaleTemps, tempName } from './temp-files.js';

/** Bytes encoded before each write: few system calls, and a small buffer. */
const BATCH = 1 << 20;

/** Where the output goes, checked before any work is done. */
export interface OutputTarget {
  readonly path: string;
  /** A device, a pipe or a socket (`/dev/stdout`, `/dev/null`, a FIFO): written directly, never replaced. */
  readonly special: boolean;
  /** The report being replaced: its permissions and owner are kept. */
  readonly replaces?: Stats;
  /** `/dev/stdout` and its aliases: this process's own standard output (a socket cannot be opened by name). */
  readonly stdout?: true;
}

const STDOUT_NAMES = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/**
 * Checks `--out` before anything runs: its folder exists; it is not one of the run's inputs (which it would
 * destroy); it is not a symbolic link to a regular file (refused: a report must never overwrite a file chosen by
 * whoever made the link, as a shared CI runner's /tmp invites). Devices, pipes and sockets are written directly.
 */
export async function prepareOutput(out: string | undefined, inputs: readonly string[] = []): Promise<OutputTarget | undefined> {
  if (out === undefined) return undefined;
  // `--out -` reaches here as an empty name: say what to write instead of failing to rename into ''.
  if (out === '')
    throw new TrailguardError({
      code: 'usage',
      message: '--out needs a file name, found none (leave --out out, or give /dev/stdout, to write to standard output)',
    });
  if (STDOUT_NAMES.has(resolve(out))) return { path: out, special: true, stdout: true };
  const link = await lstat(out).catch(() => undefined);
  if (link === undefined) {
    const folder = dirname(out);
    const info = await stat(folder).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) throw outputError(out, `folder ${folder} does not exist`);
    return { path: out, special: false };
  }
  const info = link.isSymbolicLink() ? await stat(out).catch(() => undefined) : link;
  if (info !== undefined && (isSpecial(info) || (link.isSymbolicLink() && /^\/(dev|proc)\//.test(resolve(out))))) {
    return { path: out, special: true };
  }
  if (link.isSymbolicLink()) {
    throw outputError(
      out,
      'it is a symbolic link: refused, so a report never overwrites a file the link chose; give the file it points to',
    );
  }
  if (link.isDirectory()) throw outputError(out, 'it is a folder: give a file name');
  for (const input of inputs) {
    const other = await stat(input).catch(() => undefined);
    if (other !== undefined && other.dev === link.dev && other.ino === link.ino) {
      throw outputError(out, `it is also an input (${input}): refused, the input would be overwritten`);
    }
  }
  return { path: out, special: false, replaces: link };
}

/** The reader of a pipe stopped early (`… --out /dev/stdout | head`): not an error of trailguard's. */
export class ReaderGone extends Error {
  override readonly name = 'ReaderGone';
}

function isSpecial(info: Stats): boolean {
  return info.isCharacterDevice() || info.isBlockDevice() || info.isFIFO() || info.isSocket();
}

function outputError(out: string, why: string): TrailguardError {
  return new TrailguardError({ code: 'output', file: out, message: `cannot write the output: ${why}` });
}

/**
 * Writes the output in batches with back-pressure: to standard output, directly to a special file, or to a
 * temporary file beside a regular one, renamed into place only when complete, so an error or interruption never
 * leaves a half-written report.
 */
export async function writeOutput(chunks: Iterable<string>, target: OutputTarget | undefined): Promise<void> {
  if (target === undefined || target.stdout === true) {
    await pump(chunks, process.stdout);
    return;
  }
  if (target.special) {
    await guarded(target.path, async () => {
      const stream = await opened(target.path, 'a');
      await pump(chunks, stream);
      await ended(stream);
    });
    return;
  }
  const folder = dirname(target.path);
  await removeStaleTemps(folder, target.path);
  const temp = tempName(folder, target.path, randomBytes(4).toString('hex'));
  announceTemp(temp, true);
  try {
    await guarded(target.path, async () => {
      const stream = await opened(temp, 'wx');
      await keepOwnership(temp, target.replaces);
      await pump(chunks, stream);
      await ended(stream);
      await rename(temp, target.path);
    });
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    announceTemp(temp, false);
  }
}

/** Runs a write; a failure of the output itself becomes one `output` diagnostic naming the file. */
async function guarded(out: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    // Producing the chunks runs the evaluation: its bad input and its bugs are not problems with the output file.
    if (error instanceof TrailguardError || error instanceof InternalError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw new ReaderGone('the reader closed the pipe', { cause: error });
    throw new TrailguardError(
      { code: 'output', file: out, message: `cannot write the output: ${(error as Error).message}` },
      { cause: error },
    );
  }
}

async function opened(path: string, flags: string): Promise<Writable> {
  // A large buffer lets the file system write one batch while the next is being produced.
  const stream = createWriteStream(path, { flags, highWaterMark: 4 * BATCH });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

function ended(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** A report replaced keeps the permissions (and, for root, the owner) it had. */
async function keepOwnership(temp: string, replaces: Stats | undefined): Promise<void> {
  if (replaces === undefined) return;
  await chmod(temp, replaces.mode & 0o7777);
  if (process.getuid?.() === 0) await chown(temp, replaces.uid, replaces.gid).catch(() => undefined);
}

async function pump(chunks: Iterable<string>, stream: Writable): Promise<void> {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure = error;
  };
  stream.on('error', onError);
  const flush = async (text: string | Buffer) => {
    if (!stream.write(text)) await once(stream, 'drain');
    if (failure !== undefined) throw failure;
  };
  try {
    // Each chunk is encoded into the batch at once, so the strings it is made of die young instead of living on in a
    // megabyte-long rope until the batch is written (and being promoted to the old generation on the way).
    let buffer = Buffer.allocUnsafe(BATCH);
    let used = 0;
    for (const chunk of chunks) {
      if (used + chunk.length * 3 > BATCH && used > 0) {
        await flush(buffer.subarray(0, used));
        buffer = Buffer.allocUnsafe(BATCH);
        used = 0;
      }
      if (chunk.length * 3 > BATCH) await flush(chunk);
      else used += buffer.write(chunk, used);
    }
    if (used > 0) await flush(buffer.subarray(0, used));
  } finally {
    stream.off('error', onError);
  }
}

/**
 * Checks an output folder (`--out-dir`) before any work is done: it must be a writable folder. With `create`, a
 * missing one is made, in a parent that exists (never a whole path: a typo should fail, not build a tree).
 */
export async function prepareOutDir(outDir: string, what: string, options: { readonly create?: boolean } = {}): Promise<void> {
  let info = await stat(outDir).catch(() => undefined);
  if (info === undefined && options.create === true) {
    await mkdir(outDir).catch((error: NodeJS.ErrnoException) => {
      throw new TrailguardError({
        code: 'output',
        file: outDir,
        message: `cannot create --out-dir for ${what}: ${error.code === 'ENOENT' ? 'its parent folder does not exist' : (error.code ?? error.message)}`,
      });
    });
    info = await stat(outDir).catch(() => undefined);
  }
  const problem =
    info === undefined
      ? 'it does not exist'
      : !info.isDirectory()
        ? 'it is not a folder'
        : await access(outDir, constants.W_OK).then(
            () => undefined,
            () => 'it is not writable',
          );
  if (problem !== undefined)
    throw new TrailguardError({ code: 'output', file: outDir, message: `cannot write ${what} to --out-dir: ${problem}` });
}
