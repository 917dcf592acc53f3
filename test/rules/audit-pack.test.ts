import { describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/core/model.js';
import { cli, resultsOf } from '../helpers/cli.js';

/** Every finding of the example audit pack on the given snapshots, as `status rule name` lines. */
async function verdicts(snapshots: readonly string[]): Promise<string[]> {
  const run = await cli(['check', ...snapshots, '--rules', 'examples/audit-pack', '--no-builtin']);
  expect(run.stderr).toMatch(/^trailguard: \d+ findings/);
  const { findings } = resultsOf<{ findings: Finding[] }>(run.stdout);
  return findings
    .filter((f) => f.ruleId !== 'trailguard-collection-coverage')
    .map((f) => `${f.status} ${f.ruleId} ${f.resource.name ?? f.resource.id.split('/').pop()}`);
}

describe('the example audit pack (examples/audit-pack)', () => {
  it('its tests pass with full coverage', async () => {
    const run = await cli(['test', 'examples/audit-pack', '--require-tests', '--require-coverage']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n13 passed, 0 failed\n$/);
  });

  it('the compliant example passes everything that applies', async () => {
    expect(await verdicts(['examples/compliant/snapshot.json'])).toEqual([
      'pass trail-is-logging management-events',
      'pass trail-cloudwatch-logs management-events',
      'pass trail-key-no-foreign-decrypt management-events',
      'pass trail-is-logging eu-data-events',
      'skip trail-cloudwatch-logs eu-data-events',
      'pass trail-key-no-foreign-decrypt eu-data-events',
      'pass trail-key-rotation 7f3c2a10-5b1e-4d8a-9c61-0e2f4b8a1d01',
      'pass trail-key-rotation mrk-0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f',
    ]);
  });

  it('the non-compliant example: a stopped trail, an unreadable status, trails without CloudWatch Logs, keys that do not rotate', async () => {
    expect(await verdicts(['examples/non-compliant/snapshot.json'])).toEqual([
      'pass trail-is-logging default-sse-s3',
      'fail trail-cloudwatch-logs default-sse-s3',
      'skip trail-key-no-foreign-decrypt default-sse-s3',
      'pass trail-is-logging kms-star-to-cloudtrail',
      'fail trail-cloudwatch-logs kms-star-to-cloudtrail',
      'pass trail-key-no-foreign-decrypt kms-star-to-cloudtrail',
      'pass trail-is-logging root-only-decrypt',
      'skip trail-cloudwatch-logs root-only-decrypt',
      'pass trail-key-no-foreign-decrypt root-only-decrypt',
      'fail trail-is-logging perimeter-deny',
      'skip trail-cloudwatch-logs perimeter-deny',
      'pass trail-key-no-foreign-decrypt perimeter-deny',
      'pass trail-is-logging key-pending-deletion',
      'skip trail-cloudwatch-logs key-pending-deletion',
      'pass trail-key-no-foreign-decrypt key-pending-deletion',
      'unknown trail-is-logging policy-not-readable',
      'skip trail-cloudwatch-logs policy-not-readable',
      'unknown trail-key-no-foreign-decrypt policy-not-readable',
      'pass trail-is-logging aws-managed-key',
      'skip trail-cloudwatch-logs aws-managed-key',
      'pass trail-key-no-foreign-decrypt aws-managed-key',
      'pass trail-is-logging alias-reference',
      'skip trail-cloudwatch-logs alias-reference',
      'unknown trail-key-no-foreign-decrypt alias-reference',
      'pass trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a001',
      'fail trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a002',
      'pass trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a003',
      'fail trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a004',
      'unknown trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a005',
      'skip trail-key-rotation 1d4b2f6a-0000-4000-8000-00000000a006',
    ]);
  });

  it('the organisation pair: account 333344445555 can decrypt with the log-archive key, so the organisation trail fails', async () => {
    const run = await cli([
      'check',
      'examples/organisation/member-snapshot.json',
      'examples/organisation/log-archive-snapshot.json',
      '--rules',
      'examples/audit-pack',
      '--no-builtin',
    ]);
    const { findings } = resultsOf<{ findings: Finding[] }>(run.stdout);
    const decrypt = findings.filter((f) => f.ruleId === 'trail-key-no-foreign-decrypt');
    expect(decrypt.map((f) => [f.resource.name, f.status])).toEqual([
      ['organization-trail', 'fail'],
      ['member-data-events', 'pass'],
    ]);
    expect(decrypt[0]?.message).toBe(
      'Trail organization-trail: key arn:aws:kms:us-east-1:210987654321:key/4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60718 grants kms:Decrypt to account 333344445555 (by Statement[4] (Sid "Allow the member account to read its own logs"), when StringLike kms:EncryptionContext:aws:cloudtrail:arn "arn:aws:cloudtrail:*:333344445555:trail/*"), which is not one of 123456789012, 210987654321',
    );
    expect(await verdicts(['examples/organisation/member-snapshot.json', 'examples/organisation/log-archive-snapshot.json'])).toEqual([
      'pass trail-is-logging organization-trail',
      'fail trail-cloudwatch-logs organization-trail',
      'fail trail-key-no-foreign-decrypt organization-trail',
      'pass trail-is-logging member-data-events',
      'skip trail-cloudwatch-logs member-data-events',
      'pass trail-key-no-foreign-decrypt member-data-events',
      'pass trail-key-rotation 4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60718',
    ]);
  });
});
