import type { UnresolvedRecord } from '../core/unresolved.js';

/** A failed AWS API call recorded by a collector. */
export interface ApiError {
  readonly region?: string;
  readonly operation: string;
  readonly code: string;
  readonly message: string;
  /** The ARN the call was about (a key, an alias, a trail), when it was about one. */
  readonly resource?: string;
}

/** A KMS key as a snapshot records it (see schemas/snapshot-v1.schema.json). */
export interface KeyEntry {
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** The parsed key policy (a raw JSON string is parsed when the snapshot loads), or null when unreadable. */
  readonly policy: unknown;
  readonly error?: { readonly code: string; readonly message: string; readonly operation: string } | null;
  readonly aliases?: readonly string[];
  readonly rotationEnabled?: boolean | null;
  /** kms:ListResourceTags; null when unreadable, omitted when not collected. */
  readonly tags?: readonly { readonly TagKey: string; readonly TagValue: string }[] | null;
}

/** organizations:DescribeOrganization's Organization. */
export interface OrganizationRecord {
  readonly Id: string;
  readonly Arn?: string;
  readonly MasterAccountId?: string;
  readonly MasterAccountArn?: string;
  readonly FeatureSet?: string;
}

/** Where an infrastructure-as-code file declares a resource: the line a finding on it points at. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The resource as the file names it: a CloudFormation logical id, a Terraform address. */
  readonly resource: string;
  /** For a key: where the file writes its policy. */
  readonly policy?: { readonly line: number; readonly column: number };
  /** For a key: where the file writes each statement of its policy, in the policy's order (a template's `!If` item where one chose it). */
  readonly statements?: readonly { readonly line: number; readonly column: number }[];
}

/** How a snapshot was made: by collection from an account, or by import from templates or a plan. */
export interface CollectionRecord {
  readonly source: 'aws' | 'cloudformation' | 'terraform-plan';
  /** The files imported, each with the SHA-256 of its bytes. */
  readonly files?: readonly { readonly path: string; readonly sha256: string }[];
  /** The values the files do not settle, each written in the snapshot as `<unresolved: NAME>`. */
  readonly unresolved?: readonly UnresolvedRecord[];
  /** The template parameter values the import was given (NoEcho parameters left out). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The stack name the import was given. */
  readonly stackName?: string;
}

/** Snapshot schema version 1, as validated on load. */
export interface SnapshotDocument {
  readonly schemaVersion: 1;
  readonly account: { readonly id: string; readonly partition: string; readonly callerArn?: string };
  /** The account's organisation; null when it belongs to none; omitted when not collected. */
  readonly organization?: OrganizationRecord | null;
  readonly collectedAt?: string;
  readonly collector?: { readonly name?: string; readonly version?: string };
  readonly regions?: readonly string[];
  readonly trails: readonly Readonly<Record<string, unknown>>[];
  readonly keys: Readonly<Record<string, KeyEntry>>;
  readonly errors?: readonly ApiError[];
  /** Set by `trailguard import`: the snapshot describes files, not a deployed account. */
  readonly collection?: CollectionRecord;
  /** Where the imported files declare each trail and key, by ARN. */
  readonly locations?: Readonly<Record<string, SourceLocation>>;
}

/** A snapshot file loaded and validated, with what the results need to identify it. */
export interface LoadedSnapshot {
  readonly path: string;
  readonly sha256: string;
  readonly document: SnapshotDocument;
}

/** A key as rules see it through the `kms-key` lookup: the snapshot entry plus facts from its ARN. */
export interface KeyView {
  readonly arn: string;
  readonly id: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly metadata: KeyEntry['metadata'];
  readonly policy: unknown;
  readonly error: KeyEntry['error'] | null;
  readonly aliases: readonly string[];
  readonly rotationEnabled: boolean | null;
  /** The key's tags by tag key; null when they were not collected or could not be read. */
  readonly tags: Readonly<Record<string, string>> | null;
  /** The snapshot file the entry came from. */
  readonly snapshot: string;
  /** The trails whose `KmsKeyId` names the key, across the snapshots given (computed; not in the results' documents). */
  readonly usedBy: readonly string[];
}
