import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../core/errors.js';

/**
 * The folder a rule pack's files must stay in. A pack is untrusted data: a rule file that is a symbolic link to
 * `~/.aws/credentials`, or a test that names `../../.env` as its snapshot, would otherwise be read and quoted in
 * diagnostics — which CI logs publish. Only an explicit `allowOutside` lifts the bound.
 */
export interface PackBounds {
  readonly folder: string;
  /** The folder with every symbolic link resolved. */
  readonly real: string;
  readonly allowOutside: boolean;
}

export async function packBounds(folder: string, allowOutside: boolean): Promise<PackBounds> {
  const absolute = resolve(folder);
  return { folder: absolute, real: await realpath(absolute).catch(() => absolute), allowOutside };
}

const HOW_TO_ALLOW = 'pass --allow-outside-pack to read files outside the pack';

/**
 * Why a file the pack holds or names may not be read (it is outside the pack, by its path or through a symbolic
 * link), or undefined when it may. A file that does not exist is left for the reader to report.
 */
export async function outsidePack(bounds: PackBounds, file: string, what: string): Promise<Diagnostic | undefined> {
  if (bounds.allowOutside) return undefined;
  const absolute = resolve(file);
  if (!within(bounds.folder, absolute)) {
    return { code: 'outside-pack', file, message: `${what} is outside the rule pack ${bounds.folder}: refused (${HOW_TO_ALLOW})` };
  }
  const real = await realpath(absolute).catch(() => undefined);
  if (real !== undefined && !within(bounds.real, real)) {
    return {
      code: 'outside-pack',
      file,
      message: `${what} is a symbolic link that leads outside the rule pack: refused (${HOW_TO_ALLOW})`,
    };
  }
  return undefined;
}

/**
 * Why a path a pack file names (a rule test's snapshot) may not be used: it must be relative and stay inside the
 * pack. Undefined when it may.
 */
export function namedOutsidePack(bounds: PackBounds, named: string): string | undefined {
  if (bounds.allowOutside) return undefined;
  if (isAbsolute(named)) return `must be a path relative to the tests file, inside the rule pack: found an absolute path (${HOW_TO_ALLOW})`;
  return undefined;
}

function within(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel.split(sep)[0] !== '..' && !isAbsolute(rel);
}
