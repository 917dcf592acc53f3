import { parseArn } from '../core/arn.js';
import { unresolvedName } from '../core/unresolved.js';
import type { RecordedFailure, SnapshotSet } from './snapshot-set.js';

export type LookupOutcome =
  | { readonly found: true; readonly id: string; readonly value: unknown }
  | { readonly found: false; readonly reason: string };

/** Where a reference that is not a full ARN is taken to live. */
export interface LookupArgs {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

/**
 * A trail's `KmsKeyId` to the key in the snapshots (the `kms-key` lookup). A full key ARN is looked up as it is; a
 * bare key id means that key in the given Region and account; an alias resolves only when a snapshot records it.
 */
export function resolveKey(reference: unknown, args: LookupArgs, set: SnapshotSet): LookupOutcome {
  const unresolved = unresolvedName(reference);
  if (unresolved !== undefined)
    return {
      found: false,
      reason: `the key is ${unresolved}, which is not settled before deployment: ${set.unresolvedReason(unresolved) ?? 'the imported file does not say which key it is'}`,
    };
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
}

/** Why a key is not found: a failed DescribeKey recorded about it, or no snapshot describes it. */
function keyNotFound(arn: string, set: SnapshotSet, from = ''): string {
  const failure = set.failures(arn, ['DescribeKey'])[0];
  return failure === undefined
    ? `key ${arn}${from} is not in any snapshot given`
    : `key ${arn}${from} was not collected (${describeFailure(failure)})`;
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

/** `GetTrailStatus failed: AccessDeniedException: …` */
export function describeFailure(failure: Pick<RecordedFailure, 'operation' | 'code' | 'message'>): string {
  return `${failure.operation} failed: ${failure.code}${failure.message ? `: ${failure.message}` : ''}`;
}
