import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../engine/explain.js';
import { cli } from '../helpers/cli.js';

const NON_COMPLIANT = 'examples/non-compliant/snapshot.json';
const MEMBER = 'examples/organisation/member-snapshot.json';

describe('trailguard explain', () => {
  it('shows where each context value came from, and the cases tried for a value nobody recorded', async () => {
    const run = await cli(['explain', NON_COMPLIANT, '--rule', 'cloudtrail-key-policy-decrypt', '--resource', 'perimeter-deny']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('  verdict   '))).toContain(
      'unknown: Trail perimeter-deny: cannot judge the key policy: cannot be decided from the snapshot, which does not record aws:PrincipalOrgID',
    );
    const origin = (key: string) =>
      lines.find((l) =>
        l
          .trimStart()
          .replace(/^context\s+/, '')
          .startsWith(`${key} = `),
      );
    expect(origin('aws:securetransport')).toMatch(
      /= true {2}← always true for a forwarded IAM principal request — always included.*#condition-keys-securetransport\]$/,
    );
    expect(origin('aws:currenttime')).toContain("= 2026-11-20T09:15:00.000Z  ← the snapshot's collection time (2026-11-20T09:15:00Z)");
    expect(origin('kms:keyspec')).toContain('= SYMMETRIC_DEFAULT  ← DescribeKey KeySpec of arn:aws:kms:us-east-2:222233334444:key/');
    expect(origin('kms:encryptioncontext:aws:cloudtrail:arn')).toMatch(/← the rule$/);
    // The perimeter's key was not recorded: one case gives it the organisation the policy names, another leaves it out.
    expect(
      lines.filter((l) => l.includes('aws:principalorgid = o-exampleorg1  ← not recorded: a value tried for it')).length,
    ).toBeGreaterThan(0);
    expect(
      lines.filter((l) => l.includes('absent    aws:principalorgid  ← not recorded: absence is one of the cases tried')).length,
    ).toBeGreaterThan(0);
  });

  it('traces a failing decrypt finding: bindings, selected values, each statement on the request and on the probe', async () => {
    const run = await cli(['explain', NON_COMPLIANT, '--rule', 'cloudtrail-key-policy-decrypt', '--resource', 'root-only-decrypt']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('cloudtrail-key-policy-decrypt on root-only-decrypt');
    expect(lines).toContain(
      '  resource  arn:aws:cloudtrail:us-east-1:222233334444:trail/root-only-decrypt (AWS::CloudTrail::Trail, account 222233334444, us-east-1)',
    );
    expect(lines.find((l) => l.startsWith('  verdict   '))).toMatch(
      /^ {2}verdict {3}fail: Trail root-only-decrypt: the policy of key .* has no statement that grants kms:Decrypt to an IAM principal only with the CloudTrail encryption context \(Statement\[0\] .* can stay\)$/,
    );
    expect(lines).toContain('when[0] $.KmsKeyId exists (all) → pass');
    expect(lines).toContain(
      '  key       = arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a002 (from examples/non-compliant/snapshot.json): a policy of 3 statements, state Enabled',
    );
    expect(lines).toContain('assert[0] key.policy iam-policy (all) → fail');
    expect(
      lines.some((l) => l.startsWith('  logObject = "arn:aws:s3:::cloudtrail-222233334444/AWSLogs/222233334444/CloudTrail/us-east-1/')),
    ).toBe(true);
    // The request, then the probe without the encryption context: the CloudTrail statement's condition holds only on the first.
    const request = lines.findIndex((l) => l.startsWith('  request: account 222233334444 calls kms:Decrypt on arn:aws:kms:'));
    const probe = lines.findIndex((l) => l.startsWith('  probe no-encryption-context: arn:aws:iam::222233334444:root calls kms:Decrypt'));
    expect(request).toBeGreaterThan(0);
    expect(probe).toBeGreaterThan(request);
    const condition = '      %s condition  StringLike kms:EncryptionContext:aws:cloudtrail:arn arn:aws:cloudtrail:*:222233334444:trail/*: ';
    expect(lines.slice(request, probe)).toContain(
      `${condition.replace('%s', '✓')}the request has arn:aws:cloudtrail:us-east-1:222233334444:trail/root-only-decrypt`,
    );
    expect(lines.slice(probe)).toContain(`${condition.replace('%s', '✗')}the request has none`);
    expect(lines.slice(request, probe)).toContain('    Statement[0] (Sid "Enable IAM User Permissions") Allow: applies');
    expect(lines.slice(request, probe)).toContain('      ✗ action     Action kms:DescribeKey does not cover kms:Decrypt');
  });

  it('--format json gives the whole trace, the resource found by its ARN', async () => {
    const run = await cli([
      'explain',
      NON_COMPLIANT,
      '--rule',
      'cloudtrail-key-policy-generate-data-key',
      '--resource',
      'arn:aws:cloudtrail:us-east-1:222233334444:trail/kms-star-to-cloudtrail',
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    const e = JSON.parse(run.stdout) as Explanation;
    expect(e.finding.status).toBe('fail');
    expect(e.bindings.map((b) => b.name)).toEqual(['trail', 'key', 'logObject']);
    const step = e.steps.find((s) => s.kind === 'assert');
    expect(step?.requests.map((r) => `${r.label} → ${r.decision}`)).toEqual([
      'request → allowed',
      'probe no-encryption-context → allowed',
      expect.stringMatching(/^probe other-account \(account \d{12}\) → allowed$/),
    ]);
    expect(step?.requests[0]?.statements[1]).toMatchObject({ sid: 'CloudTrail full access', applies: true, conditions: [] });
  });

  it('shows an unresolved binding and what it made of the assertion', async () => {
    const run = await cli(['explain', MEMBER, '--rule', 'cloudtrail-key-policy-describe-key', '--resource', 'organization-trail']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n {2}verdict {3}unknown: /);
    expect(run.stdout).toMatch(
      /\n {2}key {3}= unresolved: the policy of arn:aws:kms:us-east-1:210987654321:key\/.+ was not collected \(GetKeyPolicy failed: AccessDeniedException.+\n/,
    );
    expect(run.stdout).toContain('\n  selected  nothing: its binding did not resolve\n');
  });

  it('an unknown rule or resource is bad usage: exit 2 with what there is', async () => {
    const rule = await cli(['explain', NON_COMPLIANT, '--rule', 'no-such-rule', '--resource', 'x']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toBe(
      'trailguard: no rule "no-such-rule" is loaded: the rules are cloudtrail-sse-kms, cloudtrail-key-policy-describe-key, cloudtrail-key-policy-generate-data-key, cloudtrail-key-policy-decrypt, cloudtrail-kms-key-state [usage]\n',
    );
    const resource = await cli(['explain', NON_COMPLIANT, '--rule', 'cloudtrail-sse-kms', '--resource', 'nope']);
    expect(resource.code).toBe(2);
    expect(resource.stderr).toMatch(
      /^trailguard: rule cloudtrail-sse-kms selects no resource with id or name "nope": it selects arn:aws:cloudtrail:us-east-1:222233334444:trail\/default-sse-s3, .* \[usage\]\n$/,
    );
    const missing = await cli(['explain', NON_COMPLIANT, '--resource', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('trailguard: Missing required argument: rule (see trailguard --help) [usage]\n');
  });
});
