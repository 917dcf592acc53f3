import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { InternalError, TrailguardError } from '../engine/errors.js';

const BATCH = 1 << 20;

/**
 * Writes the output in batches with back-pressure. A file is written to a temporary name beside it and renamed
 * into place only when complete, so an error or interruption never leaves a half-written report.
 */
export async function writeOutput(chunks: Iterable<string>, out: string | undefined): Promise<void> {
  if (out === undefined) {
    await pump(chunks, process.stdout);
    return;
  }
  const folder = dirname(out);
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new TrailguardError({ code: 'output', file: out, message: `cannot write the output: folder ${folder} does not exist` });
  }
  const temp = join(folder, `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  activeTemps.add(temp);
  try {
    // A large buffer lets the file system write one batch while the next is being produced.
    const stream = createWriteStream(temp, { flags: 'wx', highWaterMark: 4 * BATCH });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    await pump(chunks, stream);
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await rename(temp, out);
  } catch (error) {
    await rm(temp, { force: true });
    // Producing the chunks runs the evaluation: its bad input and its bugs are not problems with the output file.
    if (error instanceof TrailguardError || error instanceof InternalError) throw error;
    throw new TrailguardError(
      { code: 'output', file: out, message: `cannot write the output: ${(error as Error).message}` },
      { cause: error },
    );
  } finally {
    activeTemps.delete(temp);
  }
}

async function pump(chunks: Iterable<string>, stream: Writable): Promise<void> {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure = error;
  };
  stream.on('error', onError);
  const flush = async (text: string) => {
    if (!stream.write(text)) await once(stream, 'drain');
    if (failure !== undefined) throw failure;
  };
  try {
    let buffer = '';
    for (const chunk of chunks) {
      buffer += chunk;
      if (buffer.length >= BATCH) {
        await flush(buffer);
        buffer = '';
      }
    }
    if (buffer !== '') await flush(buffer);
  } finally {
    stream.off('error', onError);
  }
}

/** Temporary files being written, removed if the process is interrupted. */
export const activeTemps = new Set<string>();
