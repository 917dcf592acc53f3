import type { ApiError } from './api-error.js';

/** A key as collected: DescribeKey's metadata, the parsed policy, and why either is missing. */
export interface CollectedKey {
  readonly metadata: Record<string, unknown> | null;
  readonly policy: Record<string, unknown> | null;
  readonly error: { readonly code: string; readonly message: string; readonly operation: string } | null;
  readonly aliases?: readonly string[];
  readonly rotationEnabled?: boolean | null;
  /** kms:ListResourceTags, for keys of the collected account (null when refused). */
  readonly tags?: readonly { readonly TagKey: string; readonly TagValue: string }[] | null;
}

/** What a collection writes: a snapshot, schema version 1 (schemas/snapshot-v1.schema.json). */
export interface CollectedSnapshot {
  readonly schemaVersion: 1;
  readonly account: { readonly id: string; readonly partition: string; readonly callerArn: string };
  /** organizations:DescribeOrganization; null when the account is in no organisation; absent when refused. */
  readonly organization?: Record<string, unknown> | null;
  readonly collectedAt: string;
  readonly collector: { readonly name: 'trailguard'; readonly version: string };
  readonly regions: readonly string[];
  readonly trails: readonly Record<string, unknown>[];
  /** GetTrailStatus from each trail's home Region, by trail ARN (null when it failed: see `errors`). */
  readonly trailStatus: Readonly<Record<string, Record<string, unknown> | null>>;
  readonly keys: Readonly<Record<string, CollectedKey>>;
  readonly errors: readonly ApiError[];
}

/** Progress of a collection, for the CLI to show. */
export type ProgressEvent =
  | { readonly kind: 'identity'; readonly account: string; readonly callerArn: string }
  | { readonly kind: 'regions'; readonly regions: readonly string[] }
  | { readonly kind: 'region'; readonly region: string; readonly trails: number; readonly failed: boolean }
  | { readonly kind: 'keys'; readonly references: number }
  | { readonly kind: 'key'; readonly arn: string; readonly failed: boolean };

/** An SDK response without its `$metadata`, as the snapshot stores it. */
export function withoutMetadata<T extends object>(output: T): Record<string, unknown> {
  const { $metadata: _, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}
