import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';
import { type Moto, motoClientConfig, motoEnv, motoSuite, startMoto } from '../helpers/moto.js';

const ACCOUNT = '123456789012'; // moto's account
const available = motoSuite('fix --apply suite');
/** script(1), from util-linux, runs a command on a pseudo-terminal: how the question is answered in a test. */
const scriptAvailable = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
if (!scriptAvailable && process.env.CI === 'true') throw new Error('script(1) is required when CI=true: apt-get install bsdutils');
if (!scriptAvailable) console.warn('skipping the --apply question on a terminal: script(1) is not installed (apt-get install bsdutils)');

const root = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};
/** kms:* to CloudTrail with nothing confining it: any account's trail can use the key, and nobody reads the logs. */
const openToCloudTrail = {
  Version: '2012-10-17',
  Statement: [
    root,
    { Sid: 'CloudTrail full access', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:*', Resource: '*' },
  ],
};

interface Finding {
  ruleId: string;
  status: string;
  resource: { id: string };
}

describe.runIf(available)('trailguard fix --apply against moto', () => {
  let moto: Moto;
  let dir: string;
  let key: string;
  let kms: KMSClient;

  beforeAll(async () => {
    moto = await startMoto();
    dir = tempDir();
    const config = motoClientConfig(moto.endpoint, 'us-east-1');
    kms = new KMSClient(config);
    key = (await kms.send(new CreateKeyCommand({ Description: 'CloudTrail' }))).KeyMetadata?.Arn as string;
    await kms.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: JSON.stringify(openToCloudTrail) }));
    await new S3Client({ ...config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'audit-logs' }));
    await new CloudTrailClient(config).send(new CreateTrailCommand({ Name: 'main', S3BucketName: 'audit-logs', KmsKeyId: key }));
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  const collect = async (name: string) => {
    const out = join(dir, name);
    const run = await cli(['collect', '--regions', 'us-east-1', '--out', out], { env: motoEnv(moto.endpoint) });
    expect(run.code).toBe(0);
    return out;
  };
  const policyFailures = async (snapshot: string) => {
    const run = await cli(['check', snapshot, '--format', 'json', '--quiet']);
    return resultsOf<{ findings: Finding[] }>(run.stdout).findings.filter(
      (f) => f.ruleId.startsWith('cloudtrail-key-policy-') && f.status === 'fail',
    );
  };

  it('without a terminal and without --yes it refuses to write, naming --yes; nothing changes', async () => {
    const snapshot = await collect('before.json');
    const run = await cli(['fix', snapshot, '--apply'], { env: motoEnv(moto.endpoint) });
    expect(run.stderr).toBe(
      'trailguard: --apply changes key policies and asks first, but standard input is not a terminal: add --yes to apply without asking [usage]\n',
    );
    expect(run.code).toBe(2);
    const read = await kms.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(JSON.parse(read.Policy as string)).toEqual(openToCloudTrail);
  });

  it('--apply --yes shows the change, writes the proven policy, reads it back; collected again, the policy rules pass', async () => {
    const snapshot = await collect('before-apply.json');
    expect((await policyFailures(snapshot)).map((f) => f.ruleId).sort()).toEqual([
      'cloudtrail-key-policy-decrypt',
      'cloudtrail-key-policy-generate-data-key',
    ]);
    const out = join(dir, 'fixes');
    const run = await cli(['fix', snapshot, '--apply', '--yes', '--out-dir', out], { env: motoEnv(moto.endpoint) });
    expect(run.stdout).toContain(
      `${key}:\n  - {"Action":"kms:*","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Resource":"*","Sid":"CloudTrail full access"}`,
    );
    expect(run.stdout).toContain('  + {"Action":"kms:GenerateDataKey*"');
    expect(run.stdout).toContain(`written ${key}: read back the same`);
    expect(run.code).toBe(0);
    const folder = readdirSync(out).find((f) => /^\d\d-/.test(f)) as string;
    const proposed = JSON.parse(readFileSync(join(out, folder, 'policy.json'), 'utf8')) as unknown;
    const read = await kms.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(JSON.parse(read.Policy as string)).toEqual(proposed);
    expect(await policyFailures(await collect('after-apply.json'))).toEqual([]);
  });

  it("one key's failure is reported and does not stop the others", async () => {
    // Break the policy again, and add to the snapshot a second key, which moto does not have, used by a second trail.
    await kms.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: JSON.stringify(openToCloudTrail) }));
    const snapshot = await collect('two-keys.json');
    const data = JSON.parse(readFileSync(snapshot, 'utf8')) as {
      trails: Record<string, unknown>[];
      keys: Record<string, Record<string, unknown>>;
    };
    const ghost = key.replace(/key\/.*$/, 'key/00000000-0000-4000-8000-0000000000aa');
    const entry = data.keys[key] as Record<string, unknown>;
    data.keys[ghost] = { ...entry, metadata: { ...(entry.metadata as object), Arn: ghost, KeyId: ghost.split('/').pop() } };
    const trail = data.trails[0] as Record<string, unknown>;
    data.trails.push({ ...trail, Name: 'ghost', TrailARN: String(trail.TrailARN).replace(/[^/]+$/, 'ghost'), KmsKeyId: ghost });
    writeFileSync(snapshot, JSON.stringify(data));
    const run = await cli(['fix', snapshot, '--apply', '--yes'], { env: motoEnv(moto.endpoint) });
    expect(run.stdout).toMatch(new RegExp(`FAILED ${ghost}: PutKeyPolicy failed: NotFoundException: `));
    expect(run.stdout).toContain(`written ${key}: read back the same`);
    expect(run.code).toBe(1);
    expect(await policyFailures(await collect('after-partial.json'))).toEqual([]);
  });

  it.runIf(scriptAvailable)('on a terminal it shows the change and asks: "n" writes nothing, "y" writes and verifies', async () => {
    await kms.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: JSON.stringify(openToCloudTrail) }));
    const snapshot = await collect('asked.json');
    // script(1) gives the command a terminal; the answer is typed on it.
    const onTerminal = (answer: string) =>
      spawnSync(
        'script',
        ['-qec', `'${process.execPath}' '${join(ROOT, 'dist', 'cli', 'main.js')}' fix '${snapshot}' --apply`, '/dev/null'],
        {
          input: `${answer}\n`,
          env: motoEnv(moto.endpoint),
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    const no = onTerminal('n');
    expect(no.stdout).toContain(`Write 1 key policy to account ${ACCOUNT}? [y/N] `);
    expect(no.stdout).toContain('Not applied.');
    expect(no.status).toBe(1);
    const unchanged = await kms.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(JSON.parse(unchanged.Policy as string)).toEqual(openToCloudTrail);
    const yes = onTerminal('y');
    expect(yes.stdout).toContain(`written ${key}: read back the same`);
    expect(yes.status).toBe(0);
    expect(await policyFailures(await collect('answered.json'))).toEqual([]);
  });

  it('without credentials: one line naming the fix, exit 2, nothing written', async () => {
    const snapshot = join(dir, 'before.json');
    const env = {
      ...motoEnv(moto.endpoint),
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    };
    const run = await cli(['fix', snapshot, '--apply', '--yes'], { env });
    expect(run.stderr).toMatch(/^trailguard: no AWS credentials found \(.*\): set AWS_PROFILE or pass --profile, .*\[credentials\]\n$/);
    expect(run.code).toBe(2);
  });
});
