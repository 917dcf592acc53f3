import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAliasCommand, CreateKeyCommand, KMSClient, TagResourceCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../collectors/aws-clients.js';
import { collectAccount } from '../../collectors/collect-account.js';
import { evaluateRules } from '../../engine/evaluate/evaluate-rule.js';
import { BUILTIN_PACK_DIR, loadRulePacks } from '../../engine/rules/load-rules.js';
import { snapshotFromData } from '../../engine/snapshot/load-snapshot.js';
import { SnapshotSet } from '../../engine/snapshot/snapshot-set.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { type Json, mutate, mutations } from '../helpers/json-mutations.js';
import { type Moto, motoClientConfig, motoSuite, startMoto } from '../helpers/moto.js';
import { scaled } from '../helpers/scale.js';

/**
 * Seeded fuzzing of the collector: AWS's own answers (from moto) are changed on their way back — a value nulled,
 * deleted, retyped, made huge, nested deep, duplicated — by a loopback proxy, one operation at a time. Whatever
 * comes back, collect must end with a snapshot (never an exception), and that snapshot must load in check and be
 * evaluated by the built-in pack. TRAILGUARD_FUZZ_SEED and TRAILGUARD_COLLECTOR_FUZZ_RUNS explore further.
 */
const SEED = Number(process.env.TRAILGUARD_FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.TRAILGUARD_COLLECTOR_FUZZ_RUNS ?? scaled(60, 20));

const OPERATIONS = [
  'DescribeTrails',
  'GetTrailStatus',
  'DescribeKey',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'ListAliases',
  'ListResourceTags',
  'DescribeOrganization',
] as const;

const available = motoSuite('collector fuzz suite');

describe.runIf(available)('fuzzing the AWS answers collect reads (seeded, reproducible)', () => {
  let moto: Moto;
  const endpoint = process.env.AWS_ENDPOINT_URL;

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto.endpoint);
    const kms = new KMSClient(config);
    const key = (await kms.send(new CreateKeyCommand({ Description: 'logs' }))).KeyMetadata?.Arn as string;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/logs', TargetKeyId: key }));
    await kms.send(new TagResourceCommand({ KeyId: key, Tags: [{ TagKey: 'team', TagValue: 'security' }] }));
    await new S3Client({ ...config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'logs' }));
    const cloudtrail = new CloudTrailClient(config);
    await cloudtrail.send(new CreateTrailCommand({ Name: 'by-arn', S3BucketName: 'logs', KmsKeyId: key }));
    await cloudtrail.send(
      new CreateTrailCommand({ Name: 'by-alias', S3BucketName: 'logs', KmsKeyId: 'alias/logs', IsMultiRegionTrail: true }),
    );
    await cloudtrail.send(new CreateTrailCommand({ Name: 'plain', S3BucketName: 'logs' }));
  }, 60_000);
  afterAll(async () => {
    if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = endpoint;
    await moto?.stop();
  });

  it(`${RUNS} mutated answers: collect writes a snapshot check loads and evaluates, never an exception`, async () => {
    const [pack] = await loadRulePacks([BUILTIN_PACK_DIR]);
    const rules = pack?.rules ?? [];
    let malformed = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATIONS), mutations, fc.boolean(), async (operation, ops, always) => {
        const proxy = await startFaultProxy(moto.endpoint, [
          { operation, kind: 'mutate', times: always ? Number.POSITIVE_INFINITY : 1, mutate: (answer) => mutate(answer as Json, ops) },
        ]);
        process.env.AWS_ENDPOINT_URL = proxy.endpoint;
        try {
          const clients = createAwsClients({
            credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
            maxAttempts: 1,
            requestTimeoutMs: 5000,
          });
          const snapshot = await collectAccount(clients, { regions: ['us-east-1', 'eu-west-1'], toolVersion: 'fuzz', concurrency: 4 });
          // What check reads: the written JSON text, loaded and validated, then every rule on every trail.
          const loaded = snapshotFromData(JSON.parse(JSON.stringify(snapshot)), {
            path: 'fuzz.json',
            sha256: '',
            locate: () => ({ line: 1, column: 1 }),
          });
          const findings = [...evaluateRules(rules, new SnapshotSet([loaded]), new Map())];
          expect(findings.every((f) => f.status !== 'error')).toBe(true);
          if (snapshot.errors.some((e) => e.code === 'MalformedAnswer')) malformed++;
        } finally {
          await proxy.stop();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The mutations reach the collector: many answers did not fit and were recorded as such.
    expect(malformed).toBeGreaterThan(RUNS / 4);
  }, 300_000);
});
