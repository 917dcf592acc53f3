import { describeFailure, type LookupArgs, type LookupOutcome, resolveKey } from '../snapshot/resolve-key.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { CompiledPath } from './json-path.js';

export type { LookupArgs, LookupOutcome } from '../snapshot/resolve-key.js';

/** A way of finding a related document by value (never by building a JSONPath from data). */
export interface LookupDefinition {
  readonly name: string;
  readonly summary: string;
  /**
   * The AWS call that reads each field of the document found (for `require`), and `''` for the call that reads the
   * document itself: a field that is missing is explained by that call's recorded failure.
   */
  readonly calls: Readonly<Record<string, string>>;
  resolve(reference: unknown, args: LookupArgs, set: SnapshotSet): LookupOutcome;
}

/** The calls that read each field of a key the `kms-key` lookup finds (the collector's, see collectors/). */
const KEY_CALLS: Readonly<Record<string, string>> = {
  '': 'DescribeKey',
  metadata: 'DescribeKey',
  policy: 'GetKeyPolicy',
  rotationEnabled: 'GetKeyRotationStatus',
  tags: 'ListResourceTags',
  aliases: 'ListAliases',
};

/** The call that records each keyed collection a collector writes, by its name in the snapshot. */
const COLLECTION_CALLS: Readonly<Record<string, string>> = { trailStatus: 'GetTrailStatus', keys: 'DescribeKey' };

/**
 * `entry`: the entry named by the reference in a keyed collection of the snapshots (`snapshot.trailStatus`, by trail
 * ARN), across every snapshot given. An entry that is null, or missing, is not recorded: the reason names the failed
 * call when a snapshot recorded one about that name.
 */
export function entryLookup(collection: CompiledPath, shown: string): LookupDefinition {
  const name = /^\$\.?([A-Za-z_][\w]*)$/.exec(collection.source)?.[1];
  const call = name === undefined ? undefined : COLLECTION_CALLS[name];
  return {
    name: 'entry',
    summary: `an entry of ${shown}`,
    calls: call === undefined ? {} : { '': call },
    resolve(reference, _args, set) {
      if (typeof reference !== 'string' && typeof reference !== 'number')
        return { found: false, reason: `${JSON.stringify(reference ?? null)} cannot name an entry of ${shown}` };
      const key = String(reference);
      const entry = set.collection(collection).get(key);
      if (entry !== undefined && entry.value !== null) return { found: true, id: key, value: entry.value };
      const failure = set.failures(key, call === undefined ? undefined : [call])[0];
      if (failure !== undefined) return { found: false, reason: `${shown} of ${key} was not collected (${describeFailure(failure)})` };
      if (entry !== undefined) return { found: false, reason: `${shown} of ${key} is null in ${entry.snapshot}: it was not collected` };
      return { found: false, reason: `no snapshot given records ${shown} of ${key}` };
    },
  };
}

/**
 * `kms-key`: a trail's `KmsKeyId` to the key in the snapshots. A full key ARN is looked up as it is; a bare key id
 * means that key in the given Region and account; an alias resolves only when a snapshot records it.
 */
const kmsKey: LookupDefinition = {
  name: 'kms-key',
  summary: 'a KMS key by key ARN, bare key id (in the given region and account) or alias (when a snapshot records it)',
  calls: KEY_CALLS,
  resolve: resolveKey,
};

/** The lookups a rule binding can name; `entry` needs `in` (the collection), so it is made per binding. */
export const LOOKUP_NAMES = ['kms-key', 'entry'] as const;

/** The lookups a binding names with `of` alone (`kms-key`), by name; `entry` is made for each binding from its `in`. */
export const LOOKUPS: ReadonlyMap<string, LookupDefinition> = new Map([[kmsKey.name, kmsKey]]);
