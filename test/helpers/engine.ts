import type { Finding } from '../../engine/core/model.js';
import { evaluateRules } from '../../engine/evaluate/evaluate-rule.js';
import { BUILTIN_PACK_DIR, loadRulePacks, type RulePack } from '../../engine/rules/load-rules.js';
import { SnapshotSet } from '../../engine/snapshot/snapshot-set.js';
import type { LoadedSnapshot, SnapshotDocument } from '../../engine/snapshot/types.js';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management-events`;
export const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

let builtIn: Promise<RulePack[]> | undefined;

/** The built-in pack, loaded once per test file. */
export function builtInPack(): Promise<RulePack[]> {
  builtIn ??= loadRulePacks([BUILTIN_PACK_DIR]);
  return builtIn;
}

export function trail(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: 'management-events',
    S3BucketName: `aws-cloudtrail-logs-${ACCOUNT}`,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: true,
    HomeRegion: 'us-east-1',
    TrailARN: TRAIL_ARN,
    LogFileValidationEnabled: true,
    KmsKeyId: KEY_ARN,
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
    ...overrides,
  };
}

export const ENABLED_KEY_METADATA = {
  KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  Arn: KEY_ARN,
  KeyState: 'Enabled',
  Enabled: true,
  KeyManager: 'CUSTOMER',
  KeySpec: 'SYMMETRIC_DEFAULT',
  KeyUsage: 'ENCRYPT_DECRYPT',
  Origin: 'AWS_KMS',
  MultiRegion: false,
};

export function snapshot(
  partial: Partial<SnapshotDocument> & { account?: SnapshotDocument['account'] },
  path = 'snapshot.json',
): LoadedSnapshot {
  const document = { schemaVersion: 1, account: { id: ACCOUNT, partition: 'aws' }, trails: [], keys: {}, ...partial } as SnapshotDocument;
  return { path, sha256: '0'.repeat(64), document };
}

/** Every finding of the built-in pack over the given snapshots. */
export async function runBuiltIn(snapshots: readonly LoadedSnapshot[]): Promise<Finding[]> {
  const packs = await builtInPack();
  const set = new SnapshotSet(snapshots);
  return [
    ...evaluateRules(
      packs.flatMap((p) => p.rules),
      set,
    ),
  ];
}

export function byRule(findings: readonly Finding[], resourceId = TRAIL_ARN): Record<string, Finding> {
  return Object.fromEntries(findings.filter((f) => f.resource.id === resourceId).map((f) => [f.ruleId, f]));
}
