import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const DEFAULT_ACCOUNT = '111122223333';

/**
 * One of four realistic key policies (console-created, CIS statements, AWS docs with SourceArn, and a broken one).
 * With `failing`, every key's CloudTrail statement names only the first of its trails in `aws:SourceArn`, so the
 * other nine fail the data-key check (the mostly-failing organisation).
 */
function policy(keyArn: string, trailArns: readonly string[], variant: number, ACCOUNT: string, failing: boolean): object {
  const ct = { Service: 'cloudtrail.amazonaws.com' };
  const root = {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: 'kms:*',
    Resource: '*',
  };
  const context = { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` };
  const statements = [
    root,
    { Sid: 'Allow CloudTrail to describe key', Effect: 'Allow', Principal: ct, Action: 'kms:DescribeKey', Resource: keyArn },
    {
      Sid: 'Allow CloudTrail to encrypt logs',
      Effect: 'Allow',
      Principal: ct,
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: failing
        ? { StringLike: context, StringEquals: { 'aws:SourceArn': trailArns.slice(0, 1) } }
        : variant === 2
          ? { StringLike: context, StringEquals: { 'aws:SourceArn': trailArns } }
          : { StringLike: context },
    },
    variant === 0
      ? {
          Sid: 'Allow principals in the account to decrypt log files',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT }, StringLike: context },
        }
      : {
          Sid: 'Enable CloudTrail log decrypt permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/LogReader` },
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
        },
  ];
  if (variant === 3) statements.push({ Sid: 'CloudTrailAll', Effect: 'Allow', Principal: ct, Action: 'kms:*', Resource: '*' } as never);
  return { Version: '2012-10-17', Id: 'key-policy', Statement: statements };
}

/** Writes a snapshot of `trails` trails, one KMS key per ten trails, and returns when it is on disk. */
export async function generateSnapshot(file: string, trails: number, ACCOUNT = DEFAULT_ACCOUNT, failing = false): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(
    `{"schemaVersion":1,"account":{"id":"${ACCOUNT}","partition":"aws","callerArn":"arn:aws:sts::${ACCOUNT}:assumed-role/Audit/bench"},`,
  );
  await write(`"collectedAt":"2026-11-01T00:00:00Z","regions":${JSON.stringify(REGIONS)},"trails":[`);
  const keyOf = (i: number) => {
    const k = Math.floor(i / 10);
    return `arn:aws:kms:${REGIONS[k % REGIONS.length]}:${ACCOUNT}:key/${String(k).padStart(8, '0')}-1111-4222-8333-444455556666`;
  };
  const trailArn = (i: number) => `arn:aws:cloudtrail:${REGIONS[Math.floor(i / 10) % REGIONS.length]}:${ACCOUNT}:trail/trail-${i}`;
  for (let i = 0; i < trails; i++) {
    const region = REGIONS[Math.floor(i / 10) % REGIONS.length];
    const trail = {
      Name: `trail-${i}`,
      S3BucketName: `cloudtrail-logs-${ACCOUNT}-${i % 50}`,
      S3KeyPrefix: i % 3 === 0 ? `team-${i % 7}` : undefined,
      IncludeGlobalServiceEvents: i % 10 === 0,
      IsMultiRegionTrail: i % 10 === 0,
      HomeRegion: region,
      TrailARN: trailArn(i),
      LogFileValidationEnabled: true,
      KmsKeyId: i % 20 === 19 ? undefined : keyOf(i),
      HasCustomEventSelectors: false,
      HasInsightSelectors: false,
      IsOrganizationTrail: false,
    };
    await write(`${i === 0 ? '' : ','}${JSON.stringify(trail)}`);
  }
  await write('],"keys":{');
  const keys = Math.ceil(trails / 10);
  for (let k = 0; k < keys; k++) {
    const arn = keyOf(k * 10);
    const covered = Array.from({ length: 10 }, (_, j) => trailArn(k * 10 + j));
    const entry = {
      metadata: {
        KeyId: arn.split('/')[1],
        Arn: arn,
        KeyState: 'Enabled',
        Enabled: true,
        KeyManager: 'CUSTOMER',
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
      },
      policy: policy(arn, covered, k % 4, ACCOUNT, failing),
      error: null,
      rotationEnabled: true,
    };
    await write(`${k === 0 ? '' : ','}${JSON.stringify(arn)}:${JSON.stringify(entry)}`);
  }
  await write('}}\n');
  out.end();
  await once(out, 'finish');
}
