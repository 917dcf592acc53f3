import { parseArn } from '../core/arn.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';

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
  resolve(reference: unknown, args: LookupArgs, set: SnapshotSet): LookupOutcome;
}

/**
 * `kms-key`: a trail's `KmsKeyId` to the key in the snapshots. A full key ARN is looked up as it is; a bare key id
 * means that key in the given Region and account; an alias resolves only when a snapshot records it.
 */
const kmsKey: LookupDefinition = {
  name: 'kms-key',
  summary: 'a KMS key by key ARN, bare key id (in the given region and account) or alias (when a snapshot records it)',
  resolve(reference, args, set) {
    if (typeof reference !== 'string' || reference === '')
      return { found: false, reason: `the key reference ${JSON.stringify(reference)} is not a key id, key ARN or alias` };
    const arn = parseArn(reference);
    if (arn !== undefined) {
      if (arn.service !== 'kms') return { found: false, reason: `${reference} is not a KMS key ARN` };
      if (arn.resource.startsWith('alias/')) return byAlias(reference, set);
      const key = set.key(reference);
      return key === undefined
        ? { found: false, reason: `key ${reference} is not in any snapshot given` }
        : { found: true, id: key.arn, value: key };
    }
    if (reference.startsWith('alias/')) return byAlias(`arn:${args.partition}:kms:${args.region}:${args.account}:${reference}`, set);
    const keyArn = `arn:${args.partition}:kms:${args.region}:${args.account}:key/${reference}`;
    const key = set.key(keyArn);
    return key === undefined
      ? { found: false, reason: `key ${keyArn} (from key id ${reference}) is not in any snapshot given` }
      : { found: true, id: key.arn, value: key };
  },
};

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

/** Every lookup kind a rule binding can use (`kms-key`), by name. */
export const LOOKUPS: ReadonlyMap<string, LookupDefinition> = new Map([[kmsKey.name, kmsKey]]);
