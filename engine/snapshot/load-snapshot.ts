import { createHash } from 'node:crypto';
import { combineErrors, type Diagnostic, lineColumn, TrailguardError } from '../core/errors.js';
import { readJsonFile, schemaProblems } from '../input/documents.js';
import { type DuplicateKey, duplicateKeys } from '../input/json-duplicates.js';
import { locateInJson } from '../input/json-location.js';
import { describeValue, displayPath, escapePointer } from '../input/schema-validation.js';
import type { LoadedSnapshot, SnapshotDocument } from './types.js';

/** The snapshot schema version this trailguard reads (`schemaVersion`; schemas/snapshot-v1.schema.json). */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/** The largest key policy KMS accepts (PutKeyPolicy: 32 KB). */
export const MAX_POLICY_LENGTH = 32768;

/** A policy nests six levels (Statement, statement, Condition, operator, key, values); far deeper is not a policy. */
export const MAX_POLICY_DEPTH = 32;

/**
 * Reads, parses and validates one snapshot file. Every problem is reported with its line and column; key policies
 * given as GetKeyPolicy's JSON string are parsed here, so rules always see a policy object (or null).
 */
export async function loadSnapshot(path: string): Promise<LoadedSnapshot> {
  // A key policy that repeats a name gets its own message from checkPolicies below.
  const { data, sha256, locate, at, repeated } = await readJsonFile(path, 'snapshot', (d) =>
    /^\/keys\/[^/]+\/policy(\/|$)/.test(d.pointer),
  ).catch((error: unknown) => {
    throw rulesGivenAsSnapshot(error, path);
  });
  return snapshotFromData(data, { path, sha256, at, locate, repeated });
}

/**
 * A rule file or a pack folder given where a snapshot goes is the commonest slip of a first run: the error says
 * where rules go instead of only that the file is not JSON.
 */
function rulesGivenAsSnapshot(error: unknown, path: string): unknown {
  if (!(error instanceof TrailguardError)) return error;
  const [first] = error.diagnostics;
  const yaml = /\.ya?ml$/i.test(path);
  if (first?.code === 'json-syntax' && yaml)
    return new TrailguardError({
      ...first,
      message: `${first.message}: this is a YAML file, not a snapshot (rule files and packs go with --rules)`,
    });
  if (first?.code === 'file-unreadable' && /found a directory$/.test(first.message))
    return new TrailguardError({ ...first, message: `${first.message} (a pack of rules goes with --rules; a snapshot is a JSON file)` });
  return error;
}

/** Where a snapshot's data came from, and how to find a JSON Pointer into it in its file. */
export interface SnapshotOrigin {
  readonly path: string;
  readonly sha256: string;
  /** The file that holds the data (its path is also the snapshot's name), when it is not `path` itself. */
  readonly file?: string;
  /** The line and column of an offset `repeated` gives (a key policy repeating a name). */
  at?(offset: number): { line: number; column: number };
  /**
   * The names the text repeats inside key policies (reading the file finds every repeated name in one pass); data
   * parsed elsewhere (a rule test's fragment, a collector's answer) has none to give.
   */
  readonly repeated?: readonly DuplicateKey[];
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
}

/**
 * Validates parsed snapshot data (a file's, a fragment written inline in a rule test, a library user's object) and
 * parses its key policy strings into a new document: the data given is never changed. Problems are located through
 * `origin`.
 */
export function snapshotFromData(data: unknown, origin: SnapshotOrigin): LoadedSnapshot {
  const file = origin.file ?? origin.path;
  checkVersion(data, origin, file);
  const problems = schemaProblems('snapshot-v1.schema.json', { file, data, locate: origin.locate }, 'snapshot-schema');
  if (problems.length > 0) throw new TrailguardError(problems);
  const document = data as SnapshotDocument;
  const parsed = checkPolicies(document, origin, file);
  if (parsed.size === 0) return { path: origin.path, sha256: origin.sha256, document };
  const keys = Object.fromEntries(
    Object.entries(document.keys).map(([arn, entry]) => [arn, parsed.has(arn) ? { ...entry, policy: parsed.get(arn) } : entry]),
  );
  return { path: origin.path, sha256: origin.sha256, document: { ...document, keys } };
}

function checkVersion(data: unknown, origin: SnapshotOrigin, path: string): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || !Object.hasOwn(data, 'schemaVersion')) return;
  const version = (data as { schemaVersion: unknown }).schemaVersion;
  if (version === SNAPSHOT_SCHEMA_VERSION) return;
  throw new TrailguardError({
    code: 'snapshot-version',
    file: path,
    ...origin.locate('/schemaVersion'),
    message: `unknown snapshot schemaVersion ${JSON.stringify(version)}: this trailguard reads schema version ${SNAPSHOT_SCHEMA_VERSION}`,
  });
}

/** Checks every key policy; returns the policies given as GetKeyPolicy's JSON text, parsed, by key ARN. */
function checkPolicies(document: SnapshotDocument, origin: SnapshotOrigin, path: string): Map<string, unknown> {
  const parsedPolicies = new Map<string, unknown>();
  const problems: Diagnostic[] = [];
  for (const [arn, entry] of Object.entries(document.keys)) {
    if (entry.policy === null || entry.policy === undefined) continue;
    const pointer = `/keys/${escapePointer(arn)}/policy`;
    if (typeof entry.policy === 'object' && nestedDeeperThan(entry.policy, MAX_POLICY_DEPTH)) {
      problems.push({
        code: 'snapshot-policy',
        file: path,
        ...origin.locate(pointer),
        message: `${displayPath(pointer)} is nested more than ${MAX_POLICY_DEPTH} levels deep: no key policy is`,
      });
      continue;
    }
    // KMS caps a key policy at 32 KB: a bigger one cannot come from AWS, and its strings would fill every finding.
    const size = typeof entry.policy === 'string' ? entry.policy.length : JSON.stringify(entry.policy).length;
    if (size > MAX_POLICY_LENGTH) {
      problems.push({
        code: 'snapshot-policy',
        file: path,
        ...origin.locate(pointer),
        message: `${displayPath(pointer)} is ${size} characters long: a KMS key policy is at most ${MAX_POLICY_LENGTH}`,
      });
      continue;
    }
    const repeated = repeatedNames(entry.policy, arn, origin);
    if (repeated !== undefined) {
      const where = repeated.offset === undefined || origin.at === undefined ? origin.locate(pointer) : origin.at(repeated.offset);
      problems.push({
        code: 'snapshot-policy',
        file: path,
        ...where,
        message: `${displayPath(pointer)} holds ${JSON.stringify(repeated.key)} twice in ${repeated.pointer === '' ? 'the policy' : displayPath(repeated.pointer)}: a policy that repeats a name means different things to different JSON readers, so trailguard does not judge it (KMS keeps one of the two)`,
      });
      continue;
    }
    if (typeof entry.policy !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(entry.policy);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`found ${describeValue(parsed)}`);
      if (nestedDeeperThan(parsed, MAX_POLICY_DEPTH)) throw new Error(`it is nested more than ${MAX_POLICY_DEPTH} levels deep`);
      parsedPolicies.set(arn, parsed);
    } catch (error) {
      problems.push({
        code: 'snapshot-policy',
        file: path,
        ...origin.locate(pointer),
        message: `${displayPath(pointer)} must be a JSON policy document (object), as GetKeyPolicy returns it: ${(error as Error).message}`,
      });
    }
  }
  if (problems.length > 0) throw new TrailguardError(problems);
  return parsedPolicies;
}

/**
 * The first name a key policy repeats inside one object (`"Effect"` twice), which JSON.parse hides by keeping the
 * last: from the policy string itself, or for an inline policy from the names reading the file found repeated.
 */
function repeatedNames(
  policy: unknown,
  arn: string,
  origin: SnapshotOrigin,
): { key: string; pointer: string; offset: number | undefined } | undefined {
  if (typeof policy === 'string') {
    const found = safeDuplicates(policy, 0)[0];
    return found === undefined ? undefined : { key: found.key, pointer: found.pointer, offset: undefined };
  }
  const prefix = `/keys/${escapePointer(arn)}/policy`;
  const found = origin.repeated?.find((d) => d.pointer === prefix || d.pointer.startsWith(`${prefix}/`));
  return found === undefined ? undefined : { key: found.key, pointer: found.pointer.slice(prefix.length), offset: found.offset };
}

function safeDuplicates(text: string, offset: number): ReturnType<typeof duplicateKeys> {
  try {
    return duplicateKeys(text, offset);
  } catch {
    // Not JSON after all (a policy string that is not): the parse below reports it.
    return [];
  }
}

/** Whether a parsed value nests deeper than `limit`, found without recursion (a crafted value could exhaust the stack). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * A snapshot held in memory (a library user's own collection), validated as a file would be. Problems are located
 * in its JSON as `JSON.stringify(data, null, 2)` writes it, under `name`; the SHA-256 is that text's.
 */
export function inMemorySnapshot(data: unknown, name = 'in-memory snapshot'): LoadedSnapshot {
  const text = JSON.stringify(data, null, 2) ?? 'null';
  const sha256 = createHash('sha256').update(text).digest('hex');
  // JSON.stringify writes no name twice: there is nothing to find in its text.
  return snapshotFromData(JSON.parse(text), {
    path: name,
    sha256,
    at: (offset) => lineColumn(text, offset),
    repeated: [],
    locate: (pointer, atKey) => locateInJson(text, pointer, atKey),
  });
}

/** Loads several snapshots (files, or snapshots already in memory), reporting the problems of every file together. */
export async function loadSnapshots(paths: readonly (string | LoadedSnapshot)[]): Promise<LoadedSnapshot[]> {
  const results = await Promise.allSettled(paths.map((p) => (typeof p === 'string' ? loadSnapshot(p) : Promise.resolve(p))));
  const failure = combineErrors(results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
  if (failure !== undefined) throw failure;
  return results.map((r) => (r as PromiseFulfilledResult<LoadedSnapshot>).value);
}
