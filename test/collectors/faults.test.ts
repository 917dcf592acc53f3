import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../engine/snapshot/load-snapshot.js';
import { cli, ROOT, tempDir } from '../helpers/cli.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Moto, motoClientConfig, motoEnv, motoSuite, seedLoggedTrail, startMoto } from '../helpers/moto.js';

/**
 * Collector faults injected between the real SDK and moto by a loopback proxy: throttling, 5xx answers, dropped
 * connections and answers that never come. Retries must happen, what still fails must be recorded, the snapshot
 * must stay valid, and an interrupted collect must leave no file behind.
 */
const available = motoSuite('collector fault suite');

interface Snapshot {
  trails: { Name: string }[];
  keys: Record<string, { policy: unknown; error: { code: string; operation: string; message: string } | null }>;
  errors?: { region?: string; operation: string; code: string; message: string }[];
}

const FAST = ['--max-attempts', '3', '--request-timeout', '1', '--regions', 'us-east-1,eu-west-1'];

describe.runIf(available)('collect through injected faults', () => {
  let moto: Moto;
  let dir: string;
  let proxy: FaultProxy | undefined;
  let keyArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = tempDir();
    keyArn = await seedLoggedTrail(moto.endpoint);
    await new CloudTrailClient(motoClientConfig(moto.endpoint, 'eu-west-1')).send(
      new CreateTrailCommand({ Name: 'eu-trail', S3BucketName: 'logs' }),
    );
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  async function collectThrough(faults: readonly Fault[], name: string) {
    await proxy?.stop();
    proxy = await startFaultProxy(moto.endpoint, faults);
    const out = join(dir, `${name}.json`);
    const run = await cli(['collect', ...FAST, '--out', out], { env: motoEnv(proxy.endpoint) });
    return { run, out, calls: proxy.calls };
  }

  it('retries throttling, 5xx answers, dropped connections and timeouts, and then records nothing as failed', async () => {
    const { run, out, calls } = await collectThrough(
      [
        { operation: 'DescribeTrails', region: 'us-east-1', kind: 'throttle', times: 2 },
        { operation: 'GetKeyPolicy', kind: '500', times: 2 },
        { operation: 'DescribeKey', kind: 'drop', times: 2 },
        { operation: 'GetTrailStatus', kind: 'hang', times: 1 },
        { operation: 'GetKeyRotationStatus', kind: '503', times: 2 },
      ],
      'transient',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`trailguard: collected 2 trails and 1 key from 2 Regions of account 123456789012 → ${out}\n`);
    expect(calls.get('DescribeTrails us-east-1')).toBe(3);
    expect(calls.get('GetKeyPolicy')).toBe(3);
    expect(calls.get('DescribeKey')).toBe(3);
    expect(calls.get('GetTrailStatus')).toBe(3); // two trails, the first call timed out once
    expect(calls.get('GetKeyRotationStatus')).toBe(3);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.errors ?? []).toEqual([]);
    expect(snapshot.keys[keyArn]?.policy).not.toBeNull();
    await expect(loadSnapshot(out)).resolves.toBeDefined();
  });

  it('records what still fails after every attempt, keeps the snapshot valid, and check reports the gap', async () => {
    const { run, out } = await collectThrough(
      [
        { operation: 'DescribeTrails', region: 'eu-west-1', kind: 'drop', times: Number.POSITIVE_INFINITY },
        { operation: 'GetKeyPolicy', kind: '500', times: Number.POSITIVE_INFINITY },
      ],
      'persistent',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'trailguard: warning: 2 API calls failed in account 123456789012 (DescribeTrails ECONNRESET in eu-west-1; GetKeyPolicy InternalFailure in us-east-1); the snapshot records them and check reports the coverage as incomplete\n' +
        `trailguard: collected 1 trail and 1 key from 2 Regions of account 123456789012 → ${out}\n`,
    );
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as Snapshot;
    expect(snapshot.trails.map((t) => t.Name)).toEqual(['main']);
    const errors = (snapshot.errors ?? []).map((e) => `${e.region ?? ''} ${e.operation} ${e.code}`).sort();
    expect(errors).toEqual(['eu-west-1 DescribeTrails ECONNRESET', 'us-east-1 GetKeyPolicy InternalFailure']);
    for (const e of snapshot.errors ?? []) expect(e.message).toMatch(/after 3 attempts/);
    expect(snapshot.keys[keyArn]).toMatchObject({ policy: null, error: { code: 'InternalFailure', operation: 'GetKeyPolicy' } });
    await expect(loadSnapshot(out)).resolves.toBeDefined();
    const check = await cli(['check', out]);
    expect(check.stderr).toContain('1 snapshot(s) recorded collection errors (incomplete coverage)');
    const results = JSON.parse(check.stdout) as { findings: { ruleId: string; status: string; message: string }[] };
    const decrypt = results.findings.find((f) => f.ruleId === 'cloudtrail-key-policy-decrypt');
    expect(decrypt?.status).toBe('unknown');
    expect(decrypt?.message).toContain('GetKeyPolicy failed: InternalFailure');
  });

  it('an interrupted collect (SIGINT mid-run) exits 130 and leaves no output file, whole or partial', async () => {
    await proxy?.stop();
    proxy = await startFaultProxy(moto.endpoint, [{ operation: 'DescribeKey', kind: 'hang', times: Number.POSITIVE_INFINITY }]);
    const out = join(dir, 'interrupted', 'snapshot.json');
    mkdirSync(join(dir, 'interrupted'));
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'collect', '--regions', 'us-east-1', '--out', out], {
      env: motoEnv(proxy.endpoint),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await proxy.seen('DescribeKey');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(readdirSync(join(dir, 'interrupted'))).toEqual([]);
  });
});
