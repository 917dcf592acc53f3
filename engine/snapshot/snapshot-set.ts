import { parseArn } from '../arn.js';
import type { KeyEntry, KeyView, LoadedSnapshot } from './types.js';

/**
 * Several snapshots checked together (one per account of an organisation). Keys are looked up across all of them,
 * because only a key's own account can read its policy: when several snapshots describe one key, the entry that
 * holds the policy wins, then the one with metadata, then the first given.
 */
export class SnapshotSet {
  readonly snapshots: readonly LoadedSnapshot[];
  private readonly keys = new Map<string, KeyView>();
  private readonly aliases = new Map<string, string>();

  constructor(snapshots: readonly LoadedSnapshot[]) {
    this.snapshots = snapshots;
    for (const snapshot of snapshots) {
      for (const [arn, entry] of Object.entries(snapshot.document.keys)) {
        const existing = this.keys.get(arn);
        if (existing === undefined || rank(entry) > rank(existing)) this.keys.set(arn, keyView(arn, entry, snapshot.path));
      }
    }
    for (const key of this.keys.values()) {
      for (const alias of key.aliases) {
        this.aliases.set(`arn:${key.partition}:kms:${key.region}:${key.account}:${alias}`, key.arn);
      }
    }
  }

  key(arn: string): KeyView | undefined {
    return this.keys.get(arn);
  }

  /** The key an alias ARN names, when some snapshot records that alias. */
  keyForAlias(aliasArn: string): KeyView | undefined {
    const arn = this.aliases.get(aliasArn);
    return arn === undefined ? undefined : this.keys.get(arn);
  }
}

function rank(entry: Pick<KeyEntry, 'policy' | 'metadata'>): number {
  return (entry.policy === null || entry.policy === undefined ? 0 : 2) + (entry.metadata === null ? 0 : 1);
}

function keyView(arn: string, entry: KeyEntry, snapshot: string): KeyView {
  const parts = parseArn(arn);
  return {
    arn,
    id: parts?.resource.replace(/^key\//, '') ?? arn,
    region: parts?.region ?? '',
    account: parts?.account ?? '',
    partition: parts?.partition ?? 'aws',
    metadata: entry.metadata,
    policy: entry.policy ?? null,
    error: entry.error ?? null,
    aliases: entry.aliases ?? [],
    rotationEnabled: entry.rotationEnabled ?? null,
    snapshot,
  };
}
