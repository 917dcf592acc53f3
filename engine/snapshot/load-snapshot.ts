import { combineErrors, type Diagnostic, TrailguardError } from '../errors.js';
import { locateInJson } from '../json-location.js';
import { parseJson, readTextFile } from '../read-input.js';
import { describeValue, displayPath, loadSchemaValidator, type SchemaValidator } from '../schema-validation.js';
import type { LoadedSnapshot, SnapshotDocument } from './types.js';

export const SNAPSHOT_SCHEMA_VERSION = 1;

/** The largest key policy KMS accepts (PutKeyPolicy: 32 KB). */
export const MAX_POLICY_LENGTH = 32768;

/** A policy nests six levels (Statement, statement, Condition, operator, key, values); far deeper is not a policy. */
export const MAX_POLICY_DEPTH = 32;

let validator: SchemaValidator | undefined;

/**
 * Reads, parses and validates one snapshot file. Every problem is reported with its line and column; key policies
 * given as GetKeyPolicy's JSON string are parsed here, so rules always see a policy object (or null).
 */
export async function loadSnapshot(path: string): Promise<LoadedSnapshot> {
  const { text, sha256 } = await readTextFile(path, 'snapshot');
  const data = parseJson(text, path);
  return snapshotFromData(data, { path, sha256, locate: (pointer, atKey) => locateInJson(text, pointer, atKey) });
}

/** Where a snapshot's data came from, and how to find a JSON Pointer into it in its file. */
export interface SnapshotOrigin {
  readonly path: string;
  readonly sha256: string;
  /** The file that holds the data (its path is also the snapshot's name), when it is not `path` itself. */
  readonly file?: string;
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
}

/**
 * Validates parsed snapshot data (a file's, or a fragment written inline in a rule test) and parses its key
 * policy strings; problems are located through `origin`.
 */
export function snapshotFromData(data: unknown, origin: SnapshotOrigin): LoadedSnapshot {
  const file = origin.file ?? origin.path;
  checkVersion(data, origin, file);
  validator ??= loadSchemaValidator('snapshot-v1.schema.json');
  const problems = validator.validate(data);
  if (problems.length > 0) {
    throw new TrailguardError(
      problems.map((p) => ({ code: 'snapshot-schema', file, ...origin.locate(p.pointer, p.atKey), message: p.message })),
    );
  }
  const document = data as SnapshotDocument;
  checkPolicies(document, origin, file);
  return { path: origin.path, sha256: origin.sha256, document };
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

function checkPolicies(document: SnapshotDocument, origin: SnapshotOrigin, path: string): void {
  const problems: Diagnostic[] = [];
  for (const [arn, entry] of Object.entries(document.keys)) {
    if (entry.policy === null || entry.policy === undefined) continue;
    const pointer = `/keys/${arn.replaceAll('~', '~0').replaceAll('/', '~1')}/policy`;
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
    if (typeof entry.policy !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(entry.policy);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`found ${describeValue(parsed)}`);
      if (nestedDeeperThan(parsed, MAX_POLICY_DEPTH)) throw new Error(`it is nested more than ${MAX_POLICY_DEPTH} levels deep`);
      entry.policy = parsed;
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

/** Loads several snapshots, reporting the problems of every file together. */
export async function loadSnapshots(paths: readonly string[]): Promise<LoadedSnapshot[]> {
  const results = await Promise.allSettled(paths.map((p) => loadSnapshot(p)));
  const failure = combineErrors(results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
  if (failure !== undefined) throw failure;
  return results.map((r) => (r as PromiseFulfilledResult<LoadedSnapshot>).value);
}
