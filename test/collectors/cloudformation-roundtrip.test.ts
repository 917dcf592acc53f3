import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';
import { type Moto, motoClientConfig, motoEnv, motoSuite, startMoto } from '../helpers/moto.js';

const ACCOUNT = '123456789012'; // moto's account
const REGION = 'us-east-1';
const available = motoSuite('CloudFormation round trip');

interface Results {
  readonly findings: readonly { readonly ruleId: string; readonly status: string; readonly resource: { readonly id: string } }[];
}

/** Status by rule and trail ARN: key ids differ between a template (placeholders) and an account, trail ARNs do not. */
function statuses(stdout: string): Record<string, string> {
  return Object.fromEntries(resultsOf<Results>(stdout).findings.map((f) => [`${f.ruleId} ${f.resource.id}`, f.status]));
}

/**
 * The round trip: moto's server deploys a template (CloudFormation CreateStack), `collect` reads the account, and
 * `check` gives the same verdicts from the template and from the collected snapshot. Three things moto 5.2.5 does
 * not do as AWS does are done by hand, the same for every template: its CloudFormation does not implement
 * AWS::CloudTrail::Trail (the trail is created with CreateTrail from the stack's own values); it stores a KeyPolicy
 * as the template's object where KMS keeps the JSON text; and it leaves a list item whose `Fn::If` chose
 * `AWS::NoValue` as null where CloudFormation removes it (the test puts the policy back as text, without the nulls).
 */
describe.runIf(available)('a template deployed by CloudFormation and collected gives the verdicts the template gave', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  const cases = [
    {
      name: 'the example, prod',
      template: 'examples/cloudformation/trail-with-key.yaml',
      parameters: { Environment: 'prod' },
      trail: 'prod-management-events',
      bucket: `prod-cloudtrail-logs-${ACCOUNT}`,
      failing: 0,
    },
    {
      name: 'the example, dev',
      template: 'examples/cloudformation/trail-with-key.yaml',
      parameters: { Environment: 'dev' },
      trail: 'dev-management-events',
      bucket: `dev-cloudtrail-logs-${ACCOUNT}`,
      failing: 1,
    },
    {
      name: 'JSON with Fn::Join and FindInMap',
      template: 'test/fixtures/iac/cloudformation/org-trail.json',
      parameters: { Environment: 'staging', LogBucketName: 'staging-org-logs' },
      trail: 'staging-organization-trail',
      bucket: 'staging-org-logs',
      failing: 1,
    },
  ];

  it.each(cases)(
    '$name',
    async ({ template, parameters, trail, bucket, failing }) => {
      const config = motoClientConfig(moto.endpoint, REGION);
      const stackName = trail.replace(/[^A-Za-z0-9-]/g, '-');
      const cfn = new CloudFormationClient(config);
      await cfn.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateBody: readFileSync(join(ROOT, template), 'utf8'),
          Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        }),
      );
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
      expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
      const resources = (await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? [];
      const keyId = resources.find((r) => r.ResourceType === 'AWS::KMS::Key')?.PhysicalResourceId as string;
      expect(keyId).toMatch(/^[0-9a-f-]{36}$/);

      const kms = new KMSClient(config);
      const deployed = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as unknown;
      const policy = (typeof deployed === 'string' ? JSON.parse(deployed) : deployed) as { Statement: unknown[] };
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId: keyId,
          PolicyName: 'default',
          Policy: JSON.stringify({ ...policy, Statement: policy.Statement.filter((s) => s !== null) }),
        }),
      );
      await new S3Client({ ...config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
      await new CloudTrailClient(config).send(
        new CreateTrailCommand({
          Name: trail,
          S3BucketName: bucket,
          KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`,
          IsMultiRegionTrail: true,
        }),
      );

      const dir = tempDir();
      const snapshot = join(dir, 'account.json');
      const collect = await cli(['collect', '--regions', REGION, '--out', snapshot], { env: motoEnv(moto.endpoint) });
      expect(collect.code, collect.stderr).toBe(0);
      const flags = [
        '--account',
        ACCOUNT,
        '--region',
        REGION,
        '--stack-name',
        stackName,
        ...Object.entries(parameters).flatMap(([k, v]) => ['--parameters', `${k}=${v}`]),
      ];
      const fromTemplate = await cli(['check', template, ...flags, '--format', 'json']);
      const fromAccount = await cli(['check', snapshot, '--format', 'json']);
      const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${trail}`;
      const ofTrail = (all: Record<string, string>) => Object.fromEntries(Object.entries(all).filter(([k]) => k.endsWith(trailArn)));
      const expected = ofTrail(statuses(fromTemplate.stdout));
      expect(Object.keys(expected)).toHaveLength(5);
      expect(ofTrail(statuses(fromAccount.stdout))).toEqual(expected);
      expect(Object.values(expected).filter((s) => s === 'fail')).toHaveLength(failing);
      expect(fromTemplate.code).toBe(failing > 0 ? 1 : 0);
    },
    60_000,
  );
});
