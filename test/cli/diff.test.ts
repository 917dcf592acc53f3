import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, tempDir } from '../helpers/cli.js';

const A002 = 'arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a002';
const A004 = 'arn:aws:kms:us-west-2:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a004';
const A001 = 'arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a001';
const DECRYPT = {
  Sid: 'Allow principals in the account to decrypt log files',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
  Resource: '*',
  Condition: {
    StringEquals: { 'kms:CallerAccount': '222233334444' },
    StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:222233334444:trail/*' },
  },
};

interface Snapshot {
  keys: Record<string, { policy: { Statement: unknown[] }; metadata: Record<string, unknown> }>;
}

let dir: string;
let before: string;
let fixed: string;
let broken: string;

/** Results of checking a copy of the non-compliant example changed by `change`. */
async function resultsOf(name: string, change: (s: Snapshot) => void): Promise<string> {
  const snapshot = JSON.parse(readFileSync(join(ROOT, 'examples/non-compliant/snapshot.json'), 'utf8')) as Snapshot;
  change(snapshot);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(snapshot));
  const results = join(dir, `${name}-results.json`);
  const run = await cli(['check', file, '--out', results]);
  expect(run.code).toBe(1);
  return results;
}

beforeAll(async () => {
  dir = tempDir();
  before = await resultsOf('before', () => {});
  // Two fixes: the decrypt statement the root-only key lacked, and the key scheduled for deletion enabled again.
  fixed = await resultsOf('fixed', (s) => {
    s.keys[A002]?.policy.Statement.push(DECRYPT);
    Object.assign(s.keys[A004]?.metadata ?? {}, { KeyState: 'Enabled', Enabled: true });
  });
  // One regression: the key that passed key-state disabled.
  broken = await resultsOf('broken', (s) => {
    Object.assign(s.keys[A001]?.metadata ?? {}, { KeyState: 'Disabled', Enabled: false });
  });
});

describe('trailguard diff', () => {
  it('of the non-compliant example against a fixed copy lists exactly the resolved findings, and the statement added; exit 0', async () => {
    const run = await cli(['diff', before, fixed, '--format', 'json']);
    expect(run.code).toBe(0);
    const diff = JSON.parse(run.stdout) as {
      newlyFailing: unknown[];
      resolved: { ruleId: string; resource: { name: string }; before: string; after: string }[];
      stillFailing: unknown[];
      otherChanges: unknown[];
      policyChanges: { key: string; added: { label: string; statement: unknown }[]; removed: unknown[] }[];
      resourcesAdded: unknown[];
      keysRemoved: unknown[];
    };
    expect(diff.resolved.map((c) => [c.ruleId, c.resource.name, c.before, c.after])).toEqual([
      ['cloudtrail-key-policy-decrypt', 'root-only-decrypt', 'fail', 'pass'],
      ['cloudtrail-kms-key-state', 'key-pending-deletion', 'fail', 'pass'],
    ]);
    expect(diff.newlyFailing).toEqual([]);
    expect(diff.otherChanges).toEqual([]);
    expect(diff.stillFailing).toHaveLength(8);
    expect(diff.policyChanges).toEqual([
      {
        key: A002,
        added: [{ label: 'Statement[3] (Sid "Allow principals in the account to decrypt log files")', statement: DECRYPT }],
        removed: [],
      },
    ]);
    expect(diff.resourcesAdded).toEqual([]);
    expect(diff.keysRemoved).toEqual([]);
  });

  it('twin: a regression is newly failing, and the run exits 1; the Markdown says so first', async () => {
    const run = await cli(['diff', before, broken]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('**1 newly failing, 0 resolved, 10 still failing, 0 other changes**');
    expect(run.stdout).toContain(
      '## Newly failing (1)\n\n| Rule | Resource | Before | Now | Message |\n| --- | --- | --- | --- | --- |\n| cloudtrail-kms-key-state | kms-star-to-cloudtrail | pass | fail |',
    );
    expect(run.stdout).toContain('## Resolved (0)\n\nNone.');
  });

  it('the same results twice: nothing changed, exit 0', async () => {
    const run = await cli(['diff', before, before]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '**0 newly failing, 0 resolved, 10 still failing, 0 other changes**; 0 resources added, 0 removed; 0 key policies changed.',
    );
  });

  it('bad input is one located line and exit 2: an unknown format, a file that is not results', async () => {
    const format = await cli(['diff', before, fixed, '--format', 'html']);
    expect(format.code).toBe(2);
    expect(format.stderr).toBe('trailguard: unknown --format "html" for diff: expected one of markdown, json [usage]\n');
    const notResults = await cli(['diff', before, 'examples/compliant/snapshot.json']);
    expect(notResults.code).toBe(2);
    expect(notResults.stderr).toMatch(/^examples\/compliant\/snapshot\.json:\d+:\d+ .+ \[results-schema\]\n/);
    expect(notResults.stdout).toBe('');
  });
});
