import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateAliasCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../engine/snapshot/load-snapshot.js';
import { cli, resultsOf, tempDir } from '../helpers/cli.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Moto, motoClientConfig, motoEnv, motoSuite, seedLoggedTrail, startMoto } from '../helpers/moto.js';

/**
 * AWS answers that do not fit the snapshot — from a damaged proxy, a buggy endpoint or an attacker in the path —
 * injected between the real SDK and moto. Whatever comes back, collect records what did not fit with its call,
 * keeps the rest, never stops with an internal error, and writes a snapshot check loads; check then reports every
 * Region whose trails were not listed as unknown.
 */
const available = motoSuite('malformed-answer suite');

interface Snapshot {
  trails: { Name: string; TrailARN: string }[];
  keys: Record<string, { metadata: unknown; policy: unknown; aliases?: string[]; error: { code: string; operation: string } | null }>;
  errors: { region?: string; operation: string; code: string; message: string; resource?: string }[];
}

const ACCOUNT = '123456789012';
const TRAIL = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${name}`,
  HomeRegion: 'us-east-1',
  S3BucketName: 'logs',
  ...extra,
});

describe.runIf(available)('collect through malformed AWS answers', () => {
  let moto: Moto;
  let dir: string;
  let proxy: FaultProxy | undefined;
  let keyArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = tempDir();
    const config = (region: string) => motoClientConfig(moto.endpoint, region);
    const kms = new KMSClient(config('us-east-1'));
    keyArn = await seedLoggedTrail(moto.endpoint);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/logs', TargetKeyId: keyArn }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: keyArn }));
    for (const [name, alias] of [
      ['by-alias', 'alias/logs'],
      ['by-second', 'alias/second'],
    ]) {
      await new CloudTrailClient(config('us-east-1')).send(new CreateTrailCommand({ Name: name, S3BucketName: 'logs', KmsKeyId: alias }));
    }
    await new CloudTrailClient(config('eu-west-1')).send(new CreateTrailCommand({ Name: 'eu-trail', S3BucketName: 'logs' }));
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  async function collectThrough(faults: readonly Fault[], name: string, extra: readonly string[] = []) {
    await proxy?.stop();
    proxy = await startFaultProxy(moto.endpoint, faults);
    const out = join(dir, `${name}.json`);
    const started = Date.now();
    const run = await cli(
      ['collect', '--max-attempts', '2', '--request-timeout', '1', '--regions', 'us-east-1,eu-west-1', '--out', out, ...extra],
      {
        env: motoEnv(proxy.endpoint),
      },
    );
    const seconds = (Date.now() - started) / 1000;
    const snapshot = run.code === 0 ? (JSON.parse(readFileSync(out, 'utf8')) as Snapshot) : undefined;
    return { run, out, snapshot, seconds, calls: proxy.calls };
  }

  const errorsOf = (snapshot: Snapshot | undefined) =>
    (snapshot?.errors ?? []).map((e) => `${e.region ?? ''} ${e.operation} ${e.code}${e.resource ? ` ${e.resource}` : ''}`).sort();

  it('trails that do not fit are recorded with their place in the answer, the rest kept, and check loads the snapshot', async () => {
    const answer = {
      trailList: [
        null,
        TRAIL('numeric-key', { KmsKeyId: 42 }),
        TRAIL('x'.repeat(300)),
        { Name: 'no-arn', HomeRegion: 'us-east-1' },
        TRAIL('good'),
      ],
    };
    const { run, out, snapshot } = await collectThrough(
      [{ operation: 'DescribeTrails', region: 'us-east-1', kind: 'answer', times: 9, body: answer }],
      'trails',
    );
    expect(run.stderr).not.toContain('internal error');
    expect(run.code).toBe(0);
    expect(snapshot?.trails.map((t) => t.Name).sort()).toEqual(['eu-trail', 'good']);
    expect(errorsOf(snapshot).filter((e) => e.includes('DescribeTrails'))).toEqual([
      'us-east-1 DescribeTrails MalformedAnswer',
      'us-east-1 DescribeTrails MalformedAnswer',
      `us-east-1 DescribeTrails MalformedAnswer arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/numeric-key`,
      `us-east-1 DescribeTrails MalformedAnswer arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${'x'.repeat(300)}`,
    ]);
    const messages = snapshot?.errors.map((e) => e.message) ?? [];
    expect(messages).toContain(
      'trail 1 of 5 in the answer does not fit the snapshot and was left out: the trail must be an object, found null',
    );
    expect(messages).toContain(
      'trail 2 of 5 in the answer does not fit the snapshot and was left out: the trail.KmsKeyId must be a string, found number 42',
    );
    expect(messages).toContain(
      'trail 3 of 5 in the answer does not fit the snapshot and was left out: the trail.Name must be at most 128 characters long, found 300',
    );
    expect(messages).toContain(
      'trail 4 of 5 in the answer does not fit the snapshot and was left out: the trail is missing the required property TrailARN',
    );
    await expect(loadSnapshot(out)).resolves.toBeDefined();

    const check = await cli(['check', out, '--fail-on-unknown', '--format', 'csv']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`unknown,high,trailguard-collection-coverage,`);
    expect(check.stdout).toContain(
      `The trails of account ${ACCOUNT} in us-east-1 could not be listed (DescribeTrails failed, MalformedAnswer`,
    );
  }, 60_000);

  it('a trailList that is not a list, or DescribeTrails failing in every Region, is an unknown finding per Region and fails --fail-on-unknown', async () => {
    const notAList = await collectThrough(
      [{ operation: 'DescribeTrails', region: 'eu-west-1', kind: 'answer', times: 9, body: { trailList: 'oops' } }],
      'not-a-list',
    );
    expect(notAList.run.code).toBe(0);
    expect(notAList.snapshot?.errors).toContainEqual({
      region: 'eu-west-1',
      operation: 'DescribeTrails',
      code: 'MalformedAnswer',
      message: "trailList is a string, expected a list of trails: the Region's trails are unknown",
    });

    const none = await collectThrough([{ operation: 'DescribeTrails', kind: '500', times: Number.POSITIVE_INFINITY }], 'no-region');
    expect(none.run.code).toBe(0);
    expect(none.snapshot?.trails).toEqual([]);
    const lenient = await cli(['check', none.out]);
    expect(lenient.code).toBe(0);
    const strict = await cli(['check', none.out, '--fail-on-unknown']);
    expect(strict.code).toBe(1);
    const results = resultsOf<{ findings: { ruleId: string; status: string; resource: { id: string } }[] }>(strict.stdout);
    expect(results.findings.map((f) => `${f.ruleId} ${f.status} ${f.resource.id}`)).toEqual([
      `trailguard-collection-coverage unknown arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/*`,
      `trailguard-collection-coverage unknown arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/*`,
    ]);
    expect(strict.stderr).toContain('2 failing');
  }, 60_000);

  it('key answers that do not fit leave the field null with the call recorded; the policy rules are unknown', async () => {
    const bigPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'x'.repeat(40_000), Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
    });
    const empty = await collectThrough([{ operation: 'GetKeyPolicy', kind: 'answer', times: 9, body: {} }], 'empty-policy');
    expect(empty.run.code).toBe(0);
    expect(empty.snapshot?.keys[keyArn]).toMatchObject({ policy: null, error: { code: 'MalformedAnswer', operation: 'GetKeyPolicy' } });

    const big = await collectThrough([{ operation: 'GetKeyPolicy', kind: 'answer', times: 9, body: { Policy: bigPolicy } }], 'big-policy');
    expect(big.run.code).toBe(0);
    expect(big.snapshot?.keys[keyArn]).toMatchObject({ policy: null, error: { code: 'MalformedAnswer', operation: 'GetKeyPolicy' } });
    expect(big.snapshot?.errors.find((e) => e.operation === 'GetKeyPolicy')?.message).toMatch(
      /is 40\d\d\d characters long: a KMS key policy is at most 32768/,
    );
    const check = await cli(['check', big.out, '--format', 'csv']);
    expect(check.stdout).toMatch(/unknown,medium,cloudtrail-key-policy-decrypt,.*trail\/main,/);

    const noKeyId = await collectThrough(
      [{ operation: 'DescribeKey', kind: 'answer', times: 9, body: { KeyMetadata: { Arn: keyArn, KeyState: 'Enabled' } } }],
      'no-key-id',
    );
    expect(noKeyId.run.code).toBe(0);
    expect(noKeyId.snapshot?.keys[keyArn]?.metadata).toBeNull();
    expect(errorsOf(noKeyId.snapshot)).toContain(`us-east-1 DescribeKey MalformedAnswer ${keyArn}`);
    await expect(loadSnapshot(noKeyId.out)).resolves.toBeDefined();
  }, 60_000);

  it('ListAliases repeating its page token is stopped and recorded, not followed for ever', async () => {
    const { run, snapshot, calls, seconds } = await collectThrough(
      [
        {
          operation: 'ListAliases',
          kind: 'answer',
          times: Number.POSITIVE_INFINITY,
          body: { Aliases: [{ AliasName: 'alias/logs', TargetKeyId: 'k' }], NextMarker: 'same', Truncated: true },
        },
      ],
      'token-loop',
    );
    expect(run.code).toBe(0);
    expect(calls.get('ListAliases')).toBeLessThanOrEqual(2);
    expect(seconds).toBeLessThan(20);
    expect(snapshot?.errors.find((e) => e.operation === 'ListAliases')).toMatchObject({
      code: 'PaginationLoop',
      message: 'ListAliases gave the same page token twice after 2 pages: the listing was stopped and is incomplete',
    });
  }, 60_000);

  it('an alias two keys claim is recorded as a conflict, never written silently', async () => {
    const { run, snapshot } = await collectThrough(
      [
        {
          operation: 'ListAliases',
          kind: 'answer',
          times: Number.POSITIVE_INFINITY,
          body: { Aliases: [{ AliasName: 'alias/logs' }, { AliasName: 'alias/other' }], Truncated: false },
        },
        {
          operation: 'DescribeKey',
          kind: 'answer',
          times: 1,
          body: {
            KeyMetadata: {
              KeyId: 'a5000000-0000-4000-8000-000000000001',
              Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/a5000000-0000-4000-8000-000000000001`,
            },
          },
        },
      ],
      'alias-conflict',
    );
    expect(run.code).toBe(0);
    const conflicts = snapshot?.errors.filter((e) => e.code === 'AliasConflict') ?? [];
    expect(conflicts.map((c) => c.message.split(' is recorded')[0])).toEqual(['alias/logs', 'alias/other']);
    expect(conflicts[0]?.message).toContain(keyArn);
  }, 60_000);

  it('an answer trickling in a byte at a time is cut off at the call deadline and recorded', async () => {
    const { run, snapshot, seconds } = await collectThrough(
      [
        {
          operation: 'GetKeyRotationStatus',
          kind: 'trickle',
          times: Number.POSITIVE_INFINITY,
          body: { KeyRotationEnabled: true, padding: 'x'.repeat(100) },
        },
      ],
      'trickle',
    );
    expect(run.code).toBe(0);
    // Two attempts of one second each, plus two seconds of room each: cut off after 6 s, not 100.
    expect(seconds).toBeLessThan(30);
    expect(snapshot?.errors.find((e) => e.operation === 'GetKeyRotationStatus')).toMatchObject({ code: 'CallDeadline' });
  }, 60_000);

  it('an error answer carrying terminal escape sequences reaches the terminal escaped', async () => {
    const evil = '\u001b]0;owned\u0007\u001b[2J';
    const { run, snapshot } = await collectThrough(
      [
        {
          operation: 'GetKeyRotationStatus',
          kind: 'answer',
          status: 400,
          times: 9,
          body: { __type: `Evil${evil}`, message: `boom${evil}` },
        },
      ],
      'escapes',
    );
    expect(run.code).toBe(0);
    expect([...run.stderr].some((c) => c === '\u001b' || c === '\u0007')).toBe(false);
    expect(run.stderr).toContain('GetKeyRotationStatus Evil\\u001b]0;owned\\u0007');
    // The snapshot keeps AWS's words as they came: it is data, escaped only where it is shown.
    expect(snapshot?.errors.find((e) => e.operation === 'GetKeyRotationStatus')?.message).toContain(`boom${evil}`);
  }, 60_000);

  it('STS answering with something that is not a caller identity stops collect with its own message', async () => {
    const { run } = await collectThrough(
      [
        {
          operation: 'GetCallerIdentity',
          kind: 'answer',
          times: 9,
          body: '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>hello</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>',
        },
      ],
      'sts',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'trailguard: AWS STS answered GetCallerIdentity without a 12-digit account id and a caller ARN (found Account undefined, Arn "hello"): the endpoint is not AWS STS or the answer was damaged on its way (check AWS_ENDPOINT_URL and any proxy) [credentials]\n',
    );
  }, 60_000);
});
