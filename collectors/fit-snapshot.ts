import { TrailguardError } from '../engine/core/errors.js';
import { snapshotFromData } from '../engine/snapshot/load-snapshot.js';
import type { ApiError } from './api-error.js';

/**
 * Every AWS answer is checked against the shape the snapshot schema needs before it goes into the snapshot, with
 * the very validation `check` applies when it loads one: an answer that does not fit (a null trail, a numeric
 * KmsKeyId, a 300-character name, a 40 KB policy, KeyMetadata without KeyId) is recorded in `errors` with the call,
 * and the rest is kept. So a snapshot `collect` writes always loads in `check`.
 */
export const MALFORMED = 'MalformedAnswer';

const ORIGIN = { path: 'the answer', sha256: '', locate: () => ({ line: 1, column: 1 }) };

export interface Account {
  readonly id: string;
  readonly partition: string;
}

/** Why a part of a snapshot would not load (empty when it would). */
export function problemsOf(account: Account, part: Record<string, unknown>): string[] {
  try {
    snapshotFromData({ schemaVersion: 1, account, trails: [], keys: {}, ...part }, ORIGIN);
    return [];
  } catch (error) {
    if (!(error instanceof TrailguardError)) throw error;
    return error.diagnostics.map((d) => d.message);
  }
}

export function malformed(operation: string, region: string | undefined, message: string, resource?: string): ApiError {
  return {
    ...(region === undefined ? {} : { region }),
    operation,
    code: MALFORMED,
    message,
    ...(resource === undefined ? {} : { resource }),
  };
}

/** The problems as one line: the first, and how many more. */
export function summarise(problems: readonly string[]): string {
  return `${problems[0] ?? ''}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`;
}

/**
 * The trails of a DescribeTrails answer that fit the snapshot; each that does not is an error naming its place in
 * the answer (and its ARN when it has a usable one). A `trailList` that is not a list is an error as a whole.
 */
export function fitTrails(account: Account, region: string, list: unknown, errors: ApiError[]): Record<string, unknown>[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    errors.push(
      malformed('DescribeTrails', region, `trailList is ${kindOf(list)}, expected a list of trails: the Region's trails are unknown`),
    );
    return [];
  }
  const kept: Record<string, unknown>[] = [];
  list.forEach((trail: unknown, i) => {
    const problems = problemsOf(account, { trails: [trail] });
    if (problems.length === 0) {
      kept.push(trail as Record<string, unknown>);
      return;
    }
    const arn = (trail as { TrailARN?: unknown } | null)?.TrailARN;
    const usable = typeof arn === 'string' && arn.length <= 2048 ? arn : undefined;
    errors.push(
      malformed(
        'DescribeTrails',
        region,
        `trail ${i + 1} of ${list.length} in the answer does not fit the snapshot and was left out: ${summarise(problems).replace(/^trails\[0\]/, 'the trail')}`,
        usable,
      ),
    );
  });
  return kept;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The calls each field of a key entry comes from, so a field that does not fit is blamed on its call. */
const KEY_FIELDS = [
  ['metadata', 'DescribeKey', null],
  ['policy', 'GetKeyPolicy', null],
  ['rotationEnabled', 'GetKeyRotationStatus', null],
  ['tags', 'ListResourceTags', null],
  ['aliases', 'ListAliases', undefined],
] as const;

/**
 * A key entry with every field that does not fit the snapshot replaced by what a failed call leaves (null, or
 * nothing for aliases) and the call recorded as an error. The policy arrives as GetKeyPolicy's JSON text and leaves
 * parsed (or null). Undefined when the key ARN itself is not one.
 */
export function fitKey(
  account: Account,
  arn: string,
  region: string,
  entry: Record<string, unknown>,
  errors: ApiError[],
): Record<string, unknown> | undefined {
  if (problemsOf(account, { keys: { [arn]: { metadata: null, policy: null } } }).length > 0) return undefined;
  const fitted: Record<string, unknown> = { ...entry };
  for (const [field, operation, failed] of KEY_FIELDS) {
    if (entry[field] === undefined || entry[field] === null) continue;
    const probe: Record<string, unknown> = { metadata: null, policy: null, [field]: entry[field] };
    const problems = problemsOf(account, { keys: { [arn]: probe } });
    if (problems.length === 0) {
      // A policy arrives as GetKeyPolicy's JSON text, and the check above has parsed it successfully.
      fitted[field] = field === 'policy' && typeof probe.policy === 'string' ? JSON.parse(probe.policy) : probe[field];
      continue;
    }
    const why = summarise(problems).replace(/^keys\[[^\]]*\]\./, '');
    errors.push(malformed(operation, region, `the answer does not fit the snapshot and was left out: ${why}`, arn));
    if (failed === undefined) delete fitted[field];
    else fitted[field] = failed;
    // The entry's error says why its metadata or policy is missing, as it does for a refused call.
    if ((field === 'policy' || field === 'metadata') && (fitted.error ?? null) === null) {
      fitted.error = { code: MALFORMED, message: why, operation };
    }
  }
  return fitted;
}

/**
 * Aliases claimed by more than one key (an alias re-pointed while the snapshot was taken, or a damaged answer):
 * both keys keep it, and each conflict is an error, so the snapshot never holds a silent one and `check` reports
 * the trails that name the alias as unknown.
 */
export function aliasConflicts(keys: Readonly<Record<string, { readonly aliases?: readonly string[] }>>): ApiError[] {
  const owners = new Map<string, string[]>();
  for (const [arn, key] of Object.entries(keys)) {
    const region = arn.split(':')[3] ?? '';
    for (const alias of key.aliases ?? []) {
      const id = `${region} ${alias}`;
      owners.set(id, [...(owners.get(id) ?? []), arn]);
    }
  }
  return [...owners]
    .filter(([, arns]) => arns.length > 1)
    .map(([id, arns]) => {
      const [region, alias] = id.split(' ') as [string, string];
      return {
        region,
        operation: 'ListAliases',
        code: 'AliasConflict',
        message: `${alias} is recorded for ${arns.length} keys (${arns.join(', ')}): it may have been re-pointed while the snapshot was taken; trails that name it cannot be judged`,
        resource: arns[0] as string,
      };
    });
}

/** The most pages one listing may take: far beyond any real account (100 aliases a page). */
export const MAX_PAGES = 1000;

/**
 * A paginator's pages, stopped with an error when the service repeats a page token (which would loop for ever) or
 * a listing passes {@link MAX_PAGES}.
 */
export async function* guardedPages<T extends { readonly NextMarker?: string | undefined }>(
  operation: string,
  pages: AsyncIterable<T>,
): AsyncGenerator<T> {
  const tokens = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    yield page;
    count++;
    const token = page.NextMarker;
    if (token === undefined) continue;
    if (tokens.has(token) || count >= MAX_PAGES) {
      const why = tokens.has(token) ? `gave the same page token twice after ${count} pages` : `passed ${MAX_PAGES} pages`;
      throw Object.assign(new Error(`${operation} ${why}: the listing was stopped and is incomplete`), { name: 'PaginationLoop' });
    }
    tokens.add(token);
  }
}
