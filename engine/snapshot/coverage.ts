import type { SnapshotSet } from './snapshot-set.js';
import type { ApiError, KeyView } from './types.js';

/** What each key call reads, and whether a key entry holds it. */
const KEY_CALLS: Readonly<Record<string, (key: KeyView) => boolean>> = {
  GetKeyPolicy: (key) => key.policy !== null && key.policy !== undefined,
  DescribeKey: (key) => key.metadata !== null,
  GetKeyRotationStatus: (key) => key.rotationEnabled !== null,
};

/**
 * The other snapshot that holds what a failed call would have read, if one does. A member account cannot read the
 * policy of a key in the log-archive account; the log-archive account's own snapshot can, and then nothing is missing.
 * Only calls that name their resource (collectors record it) can be covered.
 */
export function coveredBy(error: ApiError, snapshot: string, set: SnapshotSet): string | undefined {
  const holds = KEY_CALLS[error.operation];
  if (holds === undefined || error.resource === undefined) return undefined;
  const found = set.key(error.resource) ?? set.keyForAlias(error.resource);
  const key = found === undefined || 'contested' in found ? undefined : found;
  return key !== undefined && key.snapshot !== snapshot && holds(key) ? key.snapshot : undefined;
}
