import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAliasCommand, CreateKeyCommand, KMSClient, PutKeyPolicyCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';
import { type Moto, motoClientConfig, motoEnv, motoSuite, startMoto } from '../helpers/moto.js';

const ACCOUNT = '123456789012'; // moto's account
const available = motoSuite('moto integration suite');

const compliant = (keyArn: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Sid: 'Allow CloudTrail access',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:DescribeKey',
      Resource: keyArn,
    },
    {
      Sid: 'Allow CloudTrail to encrypt logs',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } },
    },
    {
      Sid: 'Enable CloudTrail log decrypt permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/LogReader` },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
    },
  ],
});

const openToCloudTrail = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    { Sid: 'CloudTrail full access', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:*', Resource: '*' },
  ],
};

/** Builds the account in moto: keys in two Regions with different policies, an alias, four trails. */
async function seed(endpoint: string): Promise<{ usKey: string; euKey: string }> {
  const config = (region: string) => motoClientConfig(endpoint, region);
  const usKms = new KMSClient(config('us-east-1'));
  const euKms = new KMSClient(config('eu-west-1'));
  const usKey = (await usKms.send(new CreateKeyCommand({ Description: 'CloudTrail us-east-1' }))).KeyMetadata?.Arn as string;
  const euKey = (await euKms.send(new CreateKeyCommand({ Description: 'CloudTrail eu-west-1' }))).KeyMetadata?.Arn as string;
  await usKms.send(new PutKeyPolicyCommand({ KeyId: usKey, PolicyName: 'default', Policy: JSON.stringify(compliant(usKey)) }));
  await euKms.send(new PutKeyPolicyCommand({ KeyId: euKey, PolicyName: 'default', Policy: JSON.stringify(openToCloudTrail) }));
  await usKms.send(new CreateAliasCommand({ AliasName: 'alias/cloudtrail', TargetKeyId: usKey }));
  await new S3Client({ ...config('us-east-1'), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'audit-logs' }));
  const us = new CloudTrailClient(config('us-east-1'));
  const eu = new CloudTrailClient(config('eu-west-1'));
  await us.send(
    new CreateTrailCommand({ Name: 'organization-wide', S3BucketName: 'audit-logs', IsMultiRegionTrail: true, KmsKeyId: usKey }),
  );
  await us.send(new CreateTrailCommand({ Name: 'us-plain', S3BucketName: 'audit-logs' }));
  await us.send(new CreateTrailCommand({ Name: 'us-aliased', S3BucketName: 'audit-logs', KmsKeyId: 'alias/cloudtrail' }));
  await eu.send(new CreateTrailCommand({ Name: 'eu-single', S3BucketName: 'audit-logs', KmsKeyId: euKey }));
  return { usKey, euKey };
}

interface Snapshot {
  account: { id: string };
  regions: string[];
  trails: { Name: string; TrailARN: string; HomeRegion: string }[];
  keys: Record<string, { policy: unknown; aliases?: string[]; tags?: unknown }>;
  trailStatus: Record<string, unknown>;
  errors: unknown[];
  organization?: { Id: string; MasterAccountId: string } | null;
}

describe.runIf(available)('collect against moto, then check', () => {
  let moto: Moto;
  let keys: { usKey: string; euKey: string };
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    keys = await seed(moto.endpoint);
    dir = tempDir();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('records every trail once with its home Region, and every key once with its policy', async () => {
    const out = join(dir, 'two-regions.json');
    const run = await cli(['collect', '--regions', 'us-east-1,eu-west-1', '--out', out], { env: motoEnv(moto.endpoint) });
    expect(run.stderr).toBe(`trailguard: collected 4 trails and 2 keys from 2 Regions of account ${ACCOUNT} → ${out}\n`);
    expect(run.code).toBe(0);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.trails.map((t) => `${t.Name} ${t.HomeRegion}`).sort()).toEqual([
      'eu-single eu-west-1',
      'organization-wide us-east-1',
      'us-aliased us-east-1',
      'us-plain us-east-1',
    ]);
    expect(Object.keys(snapshot.keys).sort()).toEqual([keys.euKey, keys.usKey].sort());
    expect(snapshot.keys[keys.usKey]?.policy).toEqual(compliant(keys.usKey));
    expect(snapshot.keys[keys.usKey]?.aliases).toEqual(['alias/cloudtrail']);
    expect(Object.keys(snapshot.trailStatus)).toHaveLength(4);
    // moto's account belongs to no organisation yet; its keys have no tags.
    expect(snapshot.organization).toBeNull();
    expect(snapshot.keys[keys.usKey]?.tags).toEqual([]);
    expect(snapshot.errors).toEqual([]);
  });

  it('scans every enabled Region by default and still lists the multi-Region trail once', async () => {
    const out = join(dir, 'all-regions.json');
    const run = await cli(['collect', '--out', out], { env: motoEnv(moto.endpoint) });
    expect(run.code).toBe(0);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.regions.length).toBeGreaterThan(10);
    expect(snapshot.regions).not.toContain('cn-north-1');
    expect(snapshot.trails.filter((t) => t.Name === 'organization-wide')).toHaveLength(1);
    expect(snapshot.trails).toHaveLength(4);
  });

  it('check on the collected snapshot gives the expected verdicts', async () => {
    const snapshot = join(dir, 'two-regions.json');
    const run = await cli(['check', snapshot]);
    expect(run.code).toBe(1);
    const results = resultsOf<{ findings: { ruleId: string; status: string; resource: { name: string } }[] }>(run.stdout);
    const verdicts = Object.fromEntries(results.findings.map((f) => [`${f.resource.name} ${f.ruleId}`, f.status]));
    expect(verdicts).toEqual({
      'organization-wide cloudtrail-sse-kms': 'pass',
      'organization-wide cloudtrail-key-policy-describe-key': 'pass',
      'organization-wide cloudtrail-key-policy-generate-data-key': 'pass',
      'organization-wide cloudtrail-key-policy-decrypt': 'pass',
      'organization-wide cloudtrail-kms-key-state': 'pass',
      'us-aliased cloudtrail-sse-kms': 'pass',
      'us-aliased cloudtrail-key-policy-describe-key': 'pass',
      'us-aliased cloudtrail-key-policy-generate-data-key': 'pass',
      'us-aliased cloudtrail-key-policy-decrypt': 'pass',
      'us-aliased cloudtrail-kms-key-state': 'pass',
      'us-plain cloudtrail-sse-kms': 'fail',
      'us-plain cloudtrail-key-policy-describe-key': 'skip',
      'us-plain cloudtrail-key-policy-generate-data-key': 'skip',
      'us-plain cloudtrail-key-policy-decrypt': 'skip',
      'us-plain cloudtrail-kms-key-state': 'skip',
      'eu-single cloudtrail-sse-kms': 'pass',
      'eu-single cloudtrail-key-policy-describe-key': 'pass',
      'eu-single cloudtrail-key-policy-generate-data-key': 'fail',
      'eu-single cloudtrail-key-policy-decrypt': 'fail',
      'eu-single cloudtrail-kms-key-state': 'pass',
    });
  });

  it('assumes a role in each account of an organisation and writes one snapshot per account', async () => {
    const outDir = join(dir, 'org');
    mkdirSync(outDir);
    const run = await cli(
      ['collect', '--role-name', 'TrailguardAudit', '--accounts', `210987654321,${ACCOUNT}`, '--regions', 'us-east-1', '--out-dir', outDir],
      {
        env: motoEnv(moto.endpoint),
      },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('trailguard: 2 of 2 accounts collected\n');
    const archive = JSON.parse(readFileSync(join(outDir, '210987654321.json'), 'utf8')) as Snapshot;
    expect(archive.account.id).toBe('210987654321');
    expect(archive.trails).toEqual([]);
    const own = JSON.parse(readFileSync(join(outDir, `${ACCOUNT}.json`), 'utf8')) as Snapshot;
    expect(own.trails).toHaveLength(3);
  });

  it('organisation mode checks --out-dir before collecting, and one snapshot that cannot be written does not stop the others', async () => {
    const missing = await cli(
      ['collect', '--role-name', 'TrailguardAudit', '--accounts', ACCOUNT, '--out-dir', join(dir, 'no-such-folder')],
      {
        env: motoEnv(moto.endpoint),
      },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`${join(dir, 'no-such-folder')}: cannot write snapshots to --out-dir: it does not exist [output]\n`);

    const outDir = join(dir, 'org-blocked');
    mkdirSync(outDir);
    // A folder where one account's snapshot should go stands in for a full disk: that write fails, the other lands.
    mkdirSync(join(outDir, '210987654321.json'));
    const run = await cli(
      ['collect', '--role-name', 'TrailguardAudit', '--accounts', `210987654321,${ACCOUNT}`, '--regions', 'us-east-1', '--out-dir', outDir],
      { env: motoEnv(moto.endpoint) },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${join(outDir, '210987654321.json')}: cannot write the output: it is a folder: give a file name [output]\n`,
    );
    expect(run.stderr).toContain('trailguard: 2 of 2 accounts collected; not written: 210987654321\n');
    expect(JSON.parse(readFileSync(join(outDir, `${ACCOUNT}.json`), 'utf8'))).toMatchObject({ account: { id: ACCOUNT } });
  });

  it.runIf(spawnSync('script', ['--version']).status === 0)('shows progress on a terminal (and only there)', async () => {
    const out = join(dir, 'tty.json');
    // util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
    const command = `${JSON.stringify(process.execPath)} dist/cli/main.js collect --regions us-east-1,eu-west-1 --out ${JSON.stringify(out)}`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: motoEnv(moto.endpoint), encoding: 'utf8' });
    expect(run.status).toBe(0);
    const screen = run.stdout.replaceAll('\r', '');
    expect(screen).toContain(`trailguard: account ${ACCOUNT} as arn:aws:sts::${ACCOUNT}:user/moto`);
    expect(screen).toContain('trailguard: scanning 2 Regions');
    expect(screen).toMatch(/\[2\/2\] (us-east-1|eu-west-1): \d+ trails? listed/);
    expect(screen).toContain('trailguard: reading the KMS keys the trails name (3 references)');
    expect(screen).toContain(`collected 4 trails and 2 keys from 2 Regions of account ${ACCOUNT}`);
  });

  it('records an unreachable Region as data and still writes the snapshot', async () => {
    const out = join(dir, 'unreachable.json');
    // Everything else goes to moto; CloudTrail in one Region goes to a closed loopback port.
    const run = await cli(['collect', '--regions', 'us-east-1', '--out', out], {
      env: motoEnv(moto.endpoint, { AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://127.0.0.1:9' }),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /trailguard: warning: 1 API call failed in account 123456789012 \(DescribeTrails ECONNREFUSED in us-east-1\)/,
    );
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.errors).toHaveLength(1);
  });

  // Last: it puts the account in an organisation, which the tests above must not see.
  it('records the organisation and key tags, and an organisation perimeter is decided by them (unknown without)', async () => {
    const config = motoClientConfig(moto.endpoint);
    const { Organization: org } = await new OrganizationsClient(config).send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const kms = new KMSClient(config);
    const key = (await kms.send(new CreateKeyCommand({ Description: 'perimeter' }))).KeyMetadata?.Arn as string;
    const perimeter = compliant(key);
    perimeter.Statement.push({
      Sid: 'DenyOutsideOrganization',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalOrgID': org?.Id as string }, Bool: { 'aws:PrincipalIsAWSService': 'false' } },
    } as never);
    await kms.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: JSON.stringify(perimeter) }));
    await kms.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: 'classification', TagValue: 'audit' }] }));
    await new CloudTrailClient(config).send(new CreateTrailCommand({ Name: 'perimeter', S3BucketName: 'audit-logs', KmsKeyId: key }));

    const out = join(dir, 'organisation.json');
    expect((await cli(['collect', '--regions', 'us-east-1', '--out', out], { env: motoEnv(moto.endpoint) })).code).toBe(0);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.organization).toMatchObject({ Id: org?.Id, MasterAccountId: ACCOUNT });
    expect(snapshot.keys[key]?.tags).toEqual([{ TagKey: 'classification', TagValue: 'audit' }]);

    const decrypt = async (file: string) => {
      const results = resultsOf<{
        findings: { ruleId: string; status: string; message: string; resource: { name: string } }[];
      }>((await cli(['check', file])).stdout);
      return results.findings.find((f) => f.resource.name === 'perimeter' && f.ruleId === 'cloudtrail-key-policy-decrypt');
    };
    expect((await decrypt(out))?.status).toBe('pass');
    // The same snapshot without the organisation: whether the reader is inside the perimeter is not recorded.
    const { organization: _, ...withoutOrganisation } = snapshot;
    const blind = join(dir, 'organisation-not-recorded.json');
    writeFileSync(blind, JSON.stringify(withoutOrganisation));
    const unknown = await decrypt(blind);
    expect(unknown?.status).toBe('unknown');
    expect(unknown?.message).toContain(`pass if aws:PrincipalOrgID is "${org?.Id}"`);
    expect(unknown?.message).toContain('organizations:DescribeOrganization');
  });
});
