import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFix } from '../../engine/run-fix.js';
import { inMemorySnapshot } from '../../engine/snapshot/load-snapshot.js';
import { ENABLED_KEY_METADATA, KEY_ARN, runBuiltIn, TRAIL_ARN, trail } from '../helpers/engine.js';

interface CorpusCase {
  readonly title: string;
  readonly policy: unknown;
  readonly snapshot?: Readonly<Record<string, unknown>>;
  readonly key?: Readonly<Record<string, unknown>>;
  readonly expect: Readonly<Record<string, string>>;
}

const folder = join(import.meta.dirname, '..', 'corpus', 'key-policies');
const cases = readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(join(folder, f), 'utf8')) as CorpusCase) }));

function documentFor(c: CorpusCase): Record<string, unknown> {
  const document: Record<string, unknown> = {
    schemaVersion: 1,
    account: { id: '111122223333', partition: 'aws' },
    collectedAt: '2026-11-30T12:00:00Z',
    regions: ['us-east-1'],
    trails: [trail()],
    keys: { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy: c.policy, error: null, ...c.key } },
    ...c.snapshot,
  };
  return Object.fromEntries(Object.entries(document).filter(([k, v]) => v !== null || k === 'organization'));
}

const failing = cases.filter((c) => Object.values(c.expect).includes('fail'));
const outcomes = new Map<string, string>();

describe('trailguard fix on every key-policy shape of the corpus', () => {
  it('has failing shapes to fix', () => expect(failing.length).toBeGreaterThan(30));

  it.each(failing)('$name: the fixed snapshot fails no policy rule it could fix, and nothing gets worse', async (c) => {
    const plan = await planFix({ snapshots: [inMemorySnapshot(documentFor(c), `${c.name}.json`)] });
    expect(plan.worse).toEqual([]);
    const key = plan.keys.find((k) => k.key === KEY_ARN);
    const after = await runBuiltIn([inMemorySnapshot(plan.fixed[0]?.document, 'fixed.json')]);
    const policyFailures = after.filter(
      (f) => f.resource.id === TRAIL_ARN && f.ruleId.startsWith('cloudtrail-key-policy-') && f.status === 'fail',
    );
    // A proven policy leaves no policy rule failing; anything else says why, in words.
    expect(key).toBeDefined();
    if (key?.kind === 'policy') expect(policyFailures.map((f) => f.message)).toEqual([]);
    else expect(key?.refusals.length).toBeGreaterThan(0);
    outcomes.set(c.name, key?.kind ?? 'none');
  });

  it('proves a policy for most shapes; the rest are Denies on people, or keys nobody can change now', () => {
    const proven = [...outcomes].filter(([, kind]) => kind === 'policy').map(([name]) => name);
    expect(proven.length).toBeGreaterThanOrEqual(34);
    expect([...outcomes].filter(([, kind]) => kind !== 'policy').map(([name, kind]) => `${name}: ${kind}`)).toEqual([
      'current-time-expired-grant: refused',
      'deny-account-covers-its-principals: manual',
      'key-origin-guard-external: refused',
      'multi-region-guard-replica: refused',
      'org-perimeter-no-organisation: manual',
      'org-perimeter-other-org: manual',
      'region-lock-excludes-key-region: refused',
      'resource-tag-other-value: refused',
      'single-values-and-objects: refused',
      'tls-guard-denies-secure: refused',
      'via-aws-service-denies-forwarded: manual',
    ]);
  });
});

describe('the size limit', () => {
  it('a policy KMS would refuse as too long is refused, saying so; twin: without the padding it is proven', async () => {
    const base = JSON.parse(readFileSync(join(folder, 'decrypt-root-only.json'), 'utf8')) as CorpusCase & {
      policy: { Statement: unknown[] };
    };
    const pad = (ids: number) => ({
      Sid: 'Describe from our endpoints',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 'kms:DescribeKey',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceVpce': Array.from({ length: ids }, (_, i) => `vpce-${String(i).padStart(17, '0')}`) } },
    });
    const run = async (ids: number) => {
      const policy = { ...base.policy, Statement: [...base.policy.Statement, pad(ids)] };
      expect(JSON.stringify(policy).length).toBeLessThan(32_768);
      const plan = await planFix({ snapshots: [inMemorySnapshot(documentFor({ ...base, policy }), 'padded.json')] });
      return plan.keys.find((k) => k.key === KEY_ARN);
    };
    const tooLong = await run(1275);
    expect(tooLong?.kind).toBe('refused');
    expect(tooLong?.refusals.join('\n')).toMatch(/^the new policy is 32\d{3} characters, over KMS's limit of 32768$/m);
    expect((await run(10))?.kind).toBe('policy');
  });
});
