import { parseArn } from '../core/arn.js';
import type { OrganisationFact } from '../iam/context-catalogue.js';
import { resolveKey } from './resolve-key.js';
import type { ApiError, KeyEntry, KeyView, LoadedSnapshot, SourceLocation } from './types.js';

/** What selects a keyed collection in each snapshot document (a compiled JSONPath). */
export interface CollectionPath {
  readonly source: string;
  query(document: unknown): unknown[];
}

/** An entry of a keyed collection (`trailStatus`, `keys`…) as one snapshot records it. */
export interface CollectionEntry {
  readonly value: unknown;
  /** The snapshot file it came from. */
  readonly snapshot: string;
}

/** A failed API call a snapshot recorded, with the file that recorded it. */
export interface RecordedFailure extends ApiError {
  readonly snapshot: string;
}

/**
 * Several snapshots checked together (one per account of an organisation). Keys are looked up across all of them,
 * because only a key's own account can read its policy: when several snapshots describe one key, the entry that
 * holds the policy wins, then the one with metadata, then the first given.
 */
export class SnapshotSet {
  readonly snapshots: readonly LoadedSnapshot[];
  private readonly keys = new Map<string, KeyView>();
  private readonly aliases = new Map<string, string>();
  /** Aliases that snapshots give to more than one key: which key they name cannot be told. */
  private readonly contested = new Map<string, string[]>();
  private readonly organisations = new Map<string, OrganisationFact>();
  /** What each account's own snapshots said of its organisation, and where first. */
  private readonly ownRecords = new Map<string, { said: string; path: string }>();
  /** Keyed collections merged across snapshots, by the path that selects them in each. */
  private readonly collections = new Map<string, ReadonlyMap<string, CollectionEntry>>();
  private failuresByResource: Map<string, RecordedFailure[]> | undefined;
  private trailsByKey: Map<string, readonly string[]> | undefined;
  private locations: Map<string, SourceLocation> | undefined;

  constructor(snapshots: readonly LoadedSnapshot[]) {
    this.snapshots = snapshots;
    for (const snapshot of snapshots) {
      for (const [arn, entry] of Object.entries(snapshot.document.keys)) {
        const existing = this.keys.get(arn);
        if (existing === undefined || rank(entry) > rank(existing)) this.keys.set(arn, this.withUsers(keyView(arn, entry, snapshot.path)));
      }
    }
    for (const snapshot of snapshots) this.recordOrganisation(snapshot);
    for (const key of this.keys.values()) {
      for (const alias of key.aliases) {
        const aliasArn = `arn:${key.partition}:kms:${key.region}:${key.account}:${alias}`;
        const claimed = this.aliases.get(aliasArn);
        if (claimed !== undefined && claimed !== key.arn)
          this.contested.set(aliasArn, [...(this.contested.get(aliasArn) ?? [claimed]), key.arn]);
        else this.aliases.set(aliasArn, key.arn);
      }
    }
  }

  key(arn: string): KeyView | undefined {
    return this.keys.get(arn);
  }

  /** Why an imported snapshot's value is unresolved (`collection.unresolved`), by the name its marker gives. */
  unresolvedReason(name: string): string | undefined {
    for (const snapshot of this.snapshots) {
      const found = snapshot.document.collection?.unresolved?.find((u) => u.name === name);
      if (found !== undefined) return found.reason;
    }
    return undefined;
  }

  /** Where an imported file declares a trail or key (by ARN), when a snapshot was imported from one. */
  location(arn: string): SourceLocation | undefined {
    // Asked for each finding: the snapshots' records are merged once (the first snapshot naming an ARN wins).
    this.locations ??= new Map(this.snapshots.flatMap((s) => Object.entries(s.document.locations ?? {})).reverse());
    return this.locations.get(arn);
  }

  /**
   * The organisation an account belongs to, as the snapshots record it: the account's own snapshot (when it
   * collected its organisation), or a snapshot naming the account as its organisation's management account.
   */
  organisation(account: string): OrganisationFact {
    return this.organisations.get(account) ?? UNRECORDED;
  }

  /** The key an alias ARN names, when some snapshot records that alias (and only one key claims it). */
  keyForAlias(aliasArn: string): KeyView | { readonly contested: readonly string[] } | undefined {
    const contested = this.contested.get(aliasArn);
    if (contested !== undefined) return { contested: [...contested].sort() };
    const arn = this.aliases.get(aliasArn);
    return arn === undefined ? undefined : this.keys.get(arn);
  }

  /**
   * The trails (by ARN, each once, in the order the snapshots list them) whose `KmsKeyId` names the key, resolved as
   * the `kms-key` lookup resolves it for the trail: a key ARN, a key id or an alias.
   */
  trailsUsing(keyArn: string): readonly string[] {
    if (this.trailsByKey === undefined) {
      // Sets, not lists: one key may be used by every one of 100,000 trails.
      const byKey = new Map<string, Set<string>>();
      for (const snapshot of this.snapshots) {
        const partition = snapshot.document.account.partition;
        for (const trail of snapshot.document.trails) {
          const arn = typeof trail.TrailARN === 'string' ? trail.TrailARN : undefined;
          if (arn === undefined || trail.KmsKeyId === undefined) continue;
          const parts = parseArn(arn);
          const region = typeof trail.HomeRegion === 'string' ? trail.HomeRegion : (parts?.region ?? '');
          const found = resolveKey(trail.KmsKeyId, { region, account: parts?.account ?? snapshot.document.account.id, partition }, this);
          if (!found.found) continue;
          const users = byKey.get(found.id) ?? new Set<string>();
          users.add(arn);
          byKey.set(found.id, users);
        }
      }
      this.trailsByKey = new Map([...byKey].map(([key, users]) => [key, [...users]]));
    }
    return this.trailsByKey.get(keyArn) ?? [];
  }

  /** The view with `usedBy`, worked out when first read and not part of the view's JSON (results stay as they were). */
  private withUsers(view: Omit<KeyView, 'usedBy'>): KeyView {
    Object.defineProperty(view, 'usedBy', { get: () => this.trailsUsing(view.arn), enumerable: false });
    return view as KeyView;
  }

  /**
   * A keyed collection (an object such as `trailStatus`, selected in every snapshot by `path`) merged across the
   * snapshots: for each entry name, the first snapshot's entry that is not null, else the first one.
   */
  collection(path: CollectionPath): ReadonlyMap<string, CollectionEntry> {
    let merged = this.collections.get(path.source);
    if (merged === undefined) {
      const entries = new Map<string, CollectionEntry>();
      for (const snapshot of this.snapshots) {
        for (const found of path.query(snapshot.document)) {
          if (found === null || typeof found !== 'object' || Array.isArray(found)) continue;
          for (const [name, value] of Object.entries(found)) {
            const existing = entries.get(name);
            if (existing === undefined || (existing.value === null && value !== null))
              entries.set(name, { value, snapshot: snapshot.path });
          }
        }
      }
      merged = entries;
      this.collections.set(path.source, merged);
    }
    return merged;
  }

  /** The failed calls the snapshots recorded about a resource (by ARN), optionally only those of some operations. */
  failures(resource: string, operations?: readonly string[]): readonly RecordedFailure[] {
    if (this.failuresByResource === undefined) {
      const byResource = new Map<string, RecordedFailure[]>();
      for (const snapshot of this.snapshots) {
        for (const error of snapshot.document.errors ?? []) {
          if (error.resource === undefined) continue;
          const list = byResource.get(error.resource) ?? [];
          list.push({ ...error, snapshot: snapshot.path });
          byResource.set(error.resource, list);
        }
      }
      this.failuresByResource = byResource;
    }
    const all = this.failuresByResource.get(resource) ?? [];
    return operations === undefined ? all : all.filter((f) => operations.includes(f.operation));
  }

  /**
   * An account's own snapshot says best; a snapshot naming it as its organisation's management account also knows.
   * Two snapshots of one account that record different organisations leave it unknown, naming both.
   */
  private recordOrganisation(snapshot: LoadedSnapshot): void {
    const { document, path } = snapshot;
    const org = document.organization;
    if (org === undefined) return;
    const account = document.account.id;
    const said = org === null ? 'no organisation' : org.Id;
    const earlier = this.ownRecords.get(account);
    if (earlier !== undefined && earlier.said !== said) {
      this.organisations.set(account, {
        state: 'unknown',
        conflict: `${earlier.path} records ${earlier.said} and ${path} records ${said}`,
      });
      return;
    }
    this.ownRecords.set(account, { said, path });
    const own: OrganisationFact =
      org === null
        ? { state: 'none', source: `${path} records no organisation for it` }
        : { state: 'member', id: org.Id, source: `recorded by ${path}` };
    if (earlier === undefined) this.organisations.set(account, own);
    const manager = org?.MasterAccountId;
    if (org !== null && manager !== undefined && !this.organisations.has(manager)) {
      this.organisations.set(manager, { state: 'member', id: org.Id, source: `the management account of ${org.Id} in ${path}` });
    }
  }
}

const UNRECORDED: OrganisationFact = { state: 'unknown' };

function rank(entry: Pick<KeyEntry, 'policy' | 'metadata'>): number {
  return (entry.policy === null || entry.policy === undefined ? 0 : 2) + (entry.metadata === null ? 0 : 1);
}

function keyView(arn: string, entry: KeyEntry, snapshot: string): Omit<KeyView, 'usedBy'> {
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
    tags: entry.tags === undefined || entry.tags === null ? null : Object.fromEntries(entry.tags.map((t) => [t.TagKey, t.TagValue])),
    snapshot,
  };
}
