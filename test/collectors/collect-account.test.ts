import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsError } from '../../collectors/api-error.js';
import { createAwsClients } from '../../collectors/aws-clients.js';
import { collectAccount } from '../../collectors/collect-account.js';
import { collectOrganisation } from '../../collectors/collect-organisation.js';
import { ROOT } from '../helpers/cli.js';

const A = '111122223333';
const MANAGEMENT = '999988887777';
const KEY = `arn:aws:kms:us-east-1:${A}:key/k1`;
const OTHER_KEY = `arn:aws:kms:eu-west-1:${A}:key/k2`;
const policy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' }],
};

const sts = mockClient(STSClient);
const ec2 = mockClient(EC2Client);
const cloudtrail = mockClient(CloudTrailClient);
const kms = mockClient(KMSClient);
const organizations = mockClient(OrganizationsClient);
const ORGANIZATION = {
  Id: 'o-a1b2c3d4e5',
  Arn: `arn:aws:organizations::999988887777:organization/o-a1b2c3d4e5`,
  MasterAccountId: '999988887777',
};

/** An SDK service exception as the clients raise it. */
function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { attempts: name === 'ThrottlingException' ? 6 : 1 } });
}

async function regionOf(getClient: () => { config: { region: unknown } }): Promise<string> {
  const region = getClient().config.region;
  return typeof region === 'function' ? ((await (region as () => Promise<string>)()) as string) : String(region);
}

const trail = (name: string, region: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  TrailARN: `arn:aws:cloudtrail:${region}:${A}:trail/${name}`,
  HomeRegion: region,
  S3BucketName: 'logs',
  ...extra,
});

function collect(regions?: string[]) {
  const clients = createAwsClients({ credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return collectAccount(clients, {
    ...(regions === undefined ? {} : { regions }),
    toolVersion: '0.0.0-test',
    now: () => new Date('2026-11-01T00:00:00Z'),
  });
}

beforeEach(() => {
  for (const mock of [sts, ec2, cloudtrail, kms, organizations]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: A, Arn: `arn:aws:sts::${A}:assumed-role/Audit/me` });
  ec2.on(DescribeRegionsCommand).resolves({
    Regions: [
      { RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' },
      { RegionName: 'eu-west-1', OptInStatus: 'opt-in-not-required' },
      { RegionName: 'me-south-1', OptInStatus: 'not-opted-in' },
      { RegionName: 'cn-north-1', OptInStatus: 'opt-in-not-required' },
    ],
  });
  cloudtrail.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
    KeyMetadata: {
      KeyId: input.KeyId.split('/').pop(),
      Arn: input.KeyId.startsWith('arn:aws:kms') && input.KeyId.includes(':key/') ? input.KeyId : KEY,
      KeyState: 'Enabled',
      KeyManager: 'CUSTOMER',
    },
  }));
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(policy) });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true });
  kms.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: 'team', TagValue: 'audit' }] });
  organizations.on(DescribeOrganizationCommand).resolves({ Organization: { ...ORGANIZATION, AvailablePolicyTypes: [] } });
});

afterEach(() => {
  for (const mock of [sts, ec2, cloudtrail, kms, organizations]) mock.reset();
});

describe('collectAccount', () => {
  it("scans the enabled Regions of the caller's partition and records each trail once", async () => {
    cloudtrail.on(DescribeTrailsCommand).callsFake(async (_input, getClient) => {
      const region = await regionOf(getClient as never);
      // The multi-Region trail is listed by every Region (shadow copies); the EU trail only by its own.
      return {
        trailList: [
          trail('main', 'us-east-1', { IsMultiRegionTrail: true, KmsKeyId: KEY }),
          ...(region === 'eu-west-1' ? [trail('eu-trail', 'eu-west-1')] : []),
        ],
      };
    });
    const snapshot = await collect();
    expect(snapshot.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(snapshot.trails.map((t) => t.Name)).toEqual(['eu-trail', 'main']);
    expect(snapshot.account).toEqual({ id: A, partition: 'aws', callerArn: `arn:aws:sts::${A}:assumed-role/Audit/me` });
    expect(snapshot.trailStatus[`arn:aws:cloudtrail:us-east-1:${A}:trail/main`]).toEqual({ IsLogging: true });
    expect(snapshot.keys[KEY]).toMatchObject({ policy, error: null, rotationEnabled: true });
    expect(snapshot.errors).toEqual([]);
    expect(cloudtrail.commandCalls(GetTrailStatusCommand)).toHaveLength(2);
    expect(kms.commandCalls(GetKeyPolicyCommand)).toHaveLength(1);
  });

  it('records access denied in one Region and goes on with the others', async () => {
    cloudtrail.on(DescribeTrailsCommand).callsFake(async (_input, getClient) => {
      if ((await regionOf(getClient as never)) === 'eu-west-1')
        throw awsError('AccessDeniedException', 'not authorized to perform cloudtrail:DescribeTrails');
      return { trailList: [trail('main', 'us-east-1')] };
    });
    const snapshot = await collect();
    expect(snapshot.trails).toHaveLength(1);
    expect(snapshot.errors).toEqual([
      {
        region: 'eu-west-1',
        operation: 'DescribeTrails',
        code: 'AccessDeniedException',
        message: 'not authorized to perform cloudtrail:DescribeTrails',
      },
    ]);
  });

  it('records throttling that outlasted the retries, with the attempts made', async () => {
    cloudtrail.on(DescribeTrailsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.errors).toEqual([
      { region: 'us-east-1', operation: 'DescribeTrails', code: 'ThrottlingException', message: 'Rate exceeded (after 6 attempts)' },
    ]);
  });

  it('records a request that timed out', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [trail('main', 'us-east-1', { KmsKeyId: KEY })] });
    kms
      .on(GetKeyPolicyCommand)
      .rejects(Object.assign(new Error('Connection timed out after 30000 ms'), { name: 'TimeoutError', $metadata: { attempts: 6 } }));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.keys[KEY]?.error).toEqual({
      code: 'TimeoutError',
      operation: 'GetKeyPolicy',
      message: 'Connection timed out after 30000 ms (after 6 attempts)',
    });
  });

  it('records a network failure as data too', async () => {
    cloudtrail.on(DescribeTrailsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.errors[0]).toMatchObject({ operation: 'DescribeTrails', code: 'ECONNREFUSED' });
  });

  it('records an unreadable key policy as null with the error, never guessed', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [trail('main', 'us-east-1', { KmsKeyId: KEY })] });
    kms.on(GetKeyPolicyCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform kms:GetKeyPolicy'));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.keys[KEY]).toMatchObject({
      policy: null,
      error: { code: 'AccessDeniedException', operation: 'GetKeyPolicy', message: 'not authorized to perform kms:GetKeyPolicy' },
    });
    expect(snapshot.keys[KEY]?.metadata).not.toBeNull();
    // The error names the key, so check can tell when another snapshot (the key owner's) holds the policy.
    expect(snapshot.errors).toEqual([
      {
        region: 'us-east-1',
        operation: 'GetKeyPolicy',
        code: 'AccessDeniedException',
        message: 'not authorized to perform kms:GetKeyPolicy',
        resource: KEY,
      },
    ]);
  });

  it('records a deleted key (NotFoundException) and asks nothing more of it', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [trail('main', 'us-east-1', { KmsKeyId: KEY })] });
    kms.on(DescribeKeyCommand).rejects(awsError('NotFoundException', `Key '${KEY}' does not exist`));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.keys[KEY]).toEqual({
      metadata: null,
      policy: null,
      error: { code: 'NotFoundException', message: `Key '${KEY}' does not exist`, operation: 'DescribeKey' },
    });
    expect(kms.commandCalls(GetKeyPolicyCommand)).toHaveLength(0);
  });

  it('fetches each key once, from the Region in its ARN, whatever form the trails name it in', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({
      trailList: [
        trail('a', 'us-east-1', { KmsKeyId: KEY }),
        trail('b', 'us-east-1', { KmsKeyId: 'k1' }),
        trail('c', 'us-east-1', { KmsKeyId: OTHER_KEY }),
      ],
    });
    const regions: string[] = [];
    kms.on(GetKeyPolicyCommand).callsFake(async (_input, getClient) => {
      regions.push(await regionOf(getClient as never));
      return { Policy: JSON.stringify(policy) };
    });
    const snapshot = await collect(['us-east-1']);
    expect(Object.keys(snapshot.keys)).toEqual([OTHER_KEY, KEY]);
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('resolves a key named by alias and follows ListAliases pagination tokens', async () => {
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [trail('main', 'us-east-1', { KmsKeyId: 'alias/cloudtrail' })] });
    kms
      .on(ListAliasesCommand)
      .resolvesOnce({ Aliases: [{ AliasName: 'alias/cloudtrail', TargetKeyId: 'k1' }], Truncated: true, NextMarker: 'page-2' })
      .resolvesOnce({ Aliases: [{ AliasName: 'alias/audit-logs', TargetKeyId: 'k1' }], Truncated: false });
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.keys[KEY]?.aliases).toEqual(['alias/audit-logs', 'alias/cloudtrail']);
    // The SDK's paginator asked twice, passing the first page's marker on.
    const calls = kms.commandCalls(ListAliasesCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ KeyId: KEY, Marker: 'page-2' });
  });

  it('keeps an organisation trail seen from a member account, and records the status it cannot read', async () => {
    const orgTrail = {
      Name: 'org-trail',
      TrailARN: `arn:aws:cloudtrail:us-east-1:${MANAGEMENT}:trail/org-trail`,
      HomeRegion: 'us-east-1',
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      KmsKeyId: `arn:aws:kms:us-east-1:${MANAGEMENT}:key/org`,
    };
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [orgTrail] });
    cloudtrail.on(GetTrailStatusCommand).rejects(awsError('TrailNotFoundException', 'Unknown trail'));
    kms.on(GetKeyPolicyCommand).rejects(awsError('AccessDeniedException', 'cross-account'));
    const snapshot = await collect();
    expect(snapshot.trails).toEqual([orgTrail]);
    expect(snapshot.trailStatus[orgTrail.TrailARN]).toBeNull();
    expect(snapshot.errors.map((e) => `${e.operation} ${e.code}`)).toEqual([
      'GetKeyPolicy AccessDeniedException',
      'GetTrailStatus TrailNotFoundException',
    ]);
    // Aliases can only be listed in the collected account.
    expect(kms.commandCalls(ListAliasesCommand)).toHaveLength(0);
  });

  it('falls back to the home Region when the Region list cannot be read, and says so', async () => {
    ec2.on(DescribeRegionsCommand).rejects(awsError('UnauthorizedOperation', 'not authorized to perform ec2:DescribeRegions'));
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [] });
    const snapshot = await collect();
    expect(snapshot.regions).toEqual(['us-east-1']);
    expect(snapshot.errors).toEqual([
      {
        region: 'us-east-1',
        operation: 'DescribeRegions',
        code: 'UnauthorizedOperation',
        message: 'not authorized to perform ec2:DescribeRegions',
      },
    ]);
  });

  it('stops with a CredentialsError when STS rejects the credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).code).toBe('credentials-rejected');
    expect((error as Error).message).toContain('AWS STS rejected the credentials (InvalidClientTokenId');
  });

  it('stops with a CredentialsError naming the fix when there are no credentials', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const error = (await collect().catch((e: unknown) => e)) as CredentialsError;
    expect(error.code).toBe('no-credentials');
    expect(error.message).toContain('set AWS_PROFILE or pass --profile, run "aws sso login"');
  });
});

describe('the organisation and the key tags (they decide aws:PrincipalOrgID and aws:ResourceTag/* conditions)', () => {
  const OWN = `arn:aws:kms:us-east-1:${A}:key/own`;
  const FOREIGN = 'arn:aws:kms:us-east-1:444455556666:key/foreign';
  const withKeys = () =>
    cloudtrail
      .on(DescribeTrailsCommand)
      .resolves({ trailList: [trail('a', 'us-east-1', { KmsKeyId: OWN }), trail('b', 'us-east-1', { KmsKeyId: FOREIGN })] });

  it("records the organisation and the tags of the keys of the collected account, and lists no foreign key's tags", async () => {
    withKeys();
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.organization).toEqual(ORGANIZATION);
    expect(snapshot.keys[OWN]?.tags).toEqual([{ TagKey: 'team', TagValue: 'audit' }]);
    expect(snapshot.keys[FOREIGN]).not.toHaveProperty('tags');
    expect(kms.commandCalls(ListResourceTagsCommand).map((c) => c.args[0].input.KeyId)).toEqual([OWN]);
    expect(snapshot.errors).toEqual([]);
  });

  it('an account in no organisation is recorded as null, not as an error', async () => {
    withKeys();
    organizations.on(DescribeOrganizationCommand).rejects(awsError('AWSOrganizationsNotInUseException', 'not in an organization'));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot.organization).toBeNull();
    expect(snapshot.errors).toEqual([]);
  });

  it('refused calls leave the organisation out and the tags null, each recorded as an error', async () => {
    withKeys();
    organizations
      .on(DescribeOrganizationCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform organizations:DescribeOrganization'));
    kms.on(ListResourceTagsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform kms:ListResourceTags'));
    const snapshot = await collect(['us-east-1']);
    expect(snapshot).not.toHaveProperty('organization');
    expect(snapshot.keys[OWN]?.tags).toBeNull();
    expect(snapshot.errors.map((e) => `${e.operation} ${e.code} ${e.resource ?? ''}`.trim())).toEqual([
      'DescribeOrganization AccessDeniedException',
      `ListResourceTags AccessDeniedException ${OWN}`,
    ]);
  });
});

describe('the collector is read-only', () => {
  const allowed = (
    JSON.parse(readFileSync(join(ROOT, 'collectors', 'iam-policy.json'), 'utf8')) as { Statement: { Action: string[] }[] }
  ).Statement.flatMap((s) => s.Action);

  it('the shipped IAM policy holds only Describe, Get and List actions', () => {
    for (const action of allowed) expect(action).toMatch(/^[a-z0-9]+:(Describe|Get|List)[A-Za-z]+$/);
  });

  it('every call a collection makes is allowed by the shipped IAM policy', async () => {
    cloudtrail
      .on(DescribeTrailsCommand)
      .resolves({ trailList: [trail('main', 'us-east-1', { KmsKeyId: 'alias/cloudtrail' }), trail('b', 'us-east-1', { KmsKeyId: KEY })] });
    kms.on(ListAliasesCommand).resolves({ Aliases: [] });
    await collect();
    const services: [string, { calls(): { args: unknown[] }[] }][] = [
      ['sts', sts],
      ['ec2', ec2],
      ['cloudtrail', cloudtrail],
      ['kms', kms],
      ['organizations', organizations],
    ];
    const actions = new Set(
      services.flatMap(([service, mock]) =>
        mock.calls().map((call) => `${service}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`),
      ),
    );
    // GetCallerIdentity needs no permission; everything else must be in the policy.
    const needed = [...actions].filter((a) => a !== 'sts:GetCallerIdentity');
    expect(needed.sort()).toEqual(allowed.filter((a) => needed.includes(a)).sort());
    for (const action of needed) expect(allowed).toContain(action);
    expect(needed.length).toBeGreaterThanOrEqual(7);
  });
});

describe('collectOrganisation', () => {
  it('collects each account with its own role, and one account failing does not stop the others', async () => {
    const assumed: string[] = [];
    // Each account's credentials carry its id, so the STS stand-in can refuse one of them.
    const assume = (roleArn: string) => {
      assumed.push(roleArn);
      const account = roleArn.split(':')[4] as string;
      return async () => ({ accessKeyId: `key-${account}`, secretAccessKey: 'secret' });
    };
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const credentials = await (
        getClient() as unknown as { config: { credentials: () => Promise<{ accessKeyId: string }> } }
      ).config.credentials();
      const account = credentials.accessKeyId.replace('key-', '');
      if (account === '222222222222') throw awsError('AccessDenied', 'not authorized to perform sts:AssumeRole on TrailguardAudit');
      return { Account: account, Arn: `arn:aws:sts::${account}:assumed-role/TrailguardAudit/trailguard-collect` };
    });
    cloudtrail.on(DescribeTrailsCommand).resolves({ trailList: [] });
    const done: string[] = [];
    const results = await collectOrganisation(
      (credentials) => createAwsClients({ credentials }),
      async () => ({ accessKeyId: 'base', secretAccessKey: 'base' }),
      {
        accounts: ['111111111111', '222222222222', '333333333333'],
        roleName: 'TrailguardAudit',
        partition: 'aws',
        regions: ['us-east-1'],
        toolVersion: '0.0.0-test',
        accountConcurrency: 2,
        onAccount: (result) => done.push(result.account),
      },
      assume,
    );
    expect(assumed).toEqual([
      'arn:aws:iam::111111111111:role/TrailguardAudit',
      'arn:aws:iam::222222222222:role/TrailguardAudit',
      'arn:aws:iam::333333333333:role/TrailguardAudit',
    ]);
    expect(results.map((r) => ('snapshot' in r ? `${r.account} ${r.snapshot.account.id}` : `${r.account} failed`))).toEqual([
      '111111111111 111111111111',
      '222222222222 failed',
      '333333333333 333333333333',
    ]);
    const failure = results[1] as { error: string };
    expect(failure.error).toBe(
      'cannot assume TrailguardAudit in 222222222222: AWS STS refused sts:AssumeRole on arn:aws:iam::222222222222:role/TrailguardAudit (AccessDenied: not authorized to perform sts:AssumeRole on TrailguardAudit): check that the role exists in 222222222222, that its trust policy lets the calling principal assume it, and that the caller may call sts:AssumeRole on it',
    );
    expect(done.sort()).toEqual(['111111111111', '222222222222', '333333333333']);
  });
});
