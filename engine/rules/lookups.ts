import { parseArn } from '../core/arn.js';
import type { RecordedFailure, SnapshotSet } from '../snapshot/snapshot-set.js';
import type { CompiledPath } from './json-path.js';

export type LookupOutcome =
  | { readonly found: true; readonly id: string; readonly value: unknown }
  | { readonly found: false; readonly reason: string };

/** Where a reference that is not a full ARN is taken to live. */
export interface LookupArgs {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

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
      if (failure !== undefined) return { found: false, reason: `${shown} of ${key} was not collected (${failed(failure)})` };
      if (entry !== undefined) return { found: false, reason: `${shown} of ${key} is null in ${entry.snapshot}: it was not collected` };
      return { found: false, reason: `no snapshot given records ${shown} of ${key}` };
    },
  };
}

/** `GetTrailStatus failed: AccessDeniedException: …` */
export function failed(failure: Pick<RecordedFailure, 'operation' | 'code' | 'message'>): string {
  return `${failure.operation} failed: ${failure.code}${failure.message ? `: ${failure.message}` : ''}`;
}

/**
 * `kms-key`: a trail's `KmsKeyId` to the key in the snapshots. A full key ARN is looked up as it is; a bare key id
 * means that key in the given Region and account; an alias resolves only when a snapshot records it.
 */
const kmsKey: LookupDefinition = {
  name: 'kms-key',
  summary: 'a KMS key by key ARN, bare key id (in the given region and account) or alias (when a snapshot records it)',
  calls: KEY_CALLS,
  resolve(reference, args, set) {
    if (typeof reference !== 'string' || reference === '')
      return { found: false, reason: `the key reference ${JSON.stringify(reference)} is not a key id, key ARN or alias` };
    const arn = parseArn(reference);
    if (arn !== undefined) {
      if (arn.service !== 'kms') return { found: false, reason: `${reference} is not a KMS key ARN` };
      if (arn.resource.startsWith('alias/')) return byAlias(reference, set);
      const key = set.key(reference);
      return key === undefined ? { found: false, reason: keyNotFound(reference, set) } : { found: true, id: key.arn, value: key };
    }
    if (reference.startsWith('alias/')) return byAlias(`arn:${args.partition}:kms:${args.region}:${args.account}:${reference}`, set);
    const keyArn = `arn:${args.partition}:kms:${args.region}:${args.account}:key/${reference}`;
    const key = set.key(keyArn);
    return key === undefined
      ? { found: false, reason: keyNotFound(keyArn, set, ` (from key id ${reference})`) }
      : { found: true, id: key.arn, value: key };
  },
};

/** Why a key is not found: a failed DescribeKey recorded about it, or no snapshot describes it. */
function keyNotFound(arn: string, set: SnapshotSet, from = ''): string {
  const failure = set.failures(arn, ['DescribeKey'])[0];
  return failure === undefined
    ? `key ${arn}${from} is not in any snapshot given`
    : `key ${arn}${from} was not collected (${failed(failure)})`;
}

function byAlias(aliasArn: string, set: SnapshotSet): LookupOutcome {
  const key = set.keyForAlias(aliasArn);
  if (key !== undefined && 'contested' in key) {
    return {
      found: false,
      reason: `alias ${aliasArn} is claimed by ${key.contested.length} keys (${key.contested.join(', ')}): which one the trail uses cannot be told`,
    };
  }
  if (key !== undefined) return { found: true, id: key.arn, value: key };
  return { found: false, reason: `alias ${aliasArn} cannot be resolved: no snapshot records which key it names` };
}

/** The lookups a rule binding can name; `entry` needs `in` (the collection), so it is made per binding. */
export const LOOKUP_NAMES = ['kms-key', 'entry'] as const;

/** The lookups a binding names with `of` alone (`kms-key`), by name; `entry` is made for each binding from its `in`. */
export const LOOKUPS: ReadonlyMap<string, LookupDefinition> = new Map([[kmsKey.name, kmsKey]]);
