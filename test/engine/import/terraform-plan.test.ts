import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unresolvedName } from '../../../engine/core/unresolved.js';
import { importTerraformPlan } from '../../../engine/import/terraform-plan.js';
import type { SnapshotDocument } from '../../../engine/snapshot/types.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'iac', 'terraform');

function plan(name: string, options: { account?: string; region?: string } = {}, edit?: (plan: Record<string, unknown>) => void) {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  if (edit !== undefined) {
    const data = JSON.parse(text) as Record<string, unknown>;
    edit(data);
    text = JSON.stringify(data, null, 2);
  }
  return importTerraformPlan({ path: name, text, sha256: '0'.repeat(64) }, options);
}

describe('Terraform plans (terraform show -json) become snapshots', () => {
  it('reads the key policy a data.aws_iam_policy_document gave aws_kms_key_policy, and follows kms_key_id known after apply to the key', () => {
    const document = plan('policy-document.plan.json').document as SnapshotDocument;
    // Account from data.aws_caller_identity, Region from data.aws_region (the provider's region is a variable).
    expect(document.account.id).toBe('111122223333');
    expect(document.regions).toEqual(['eu-west-1']);
    const [keyArn, key] = Object.entries(document.keys)[0] ?? [];
    expect(keyArn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f-]{36}$/);
    expect(document.trails[0]).toMatchObject({
      Name: 'management-events',
      TrailARN: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events',
      KmsKeyId: keyArn,
      IsMultiRegionTrail: true,
    });
    expect(((key?.policy ?? { Statement: [] }) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid)).toEqual([
      'EnableIAMUserPermissions',
      'AllowCloudTrailDescribeKey',
      'AllowCloudTrailEncrypt',
      'AllowLogReadersDecrypt',
    ]);
    expect(key?.aliases).toEqual(['alias/management-events']);
    // Positions point into the plan: the key, and the policy of the aws_kms_key_policy that sets it.
    const location = document.locations?.[keyArn as string];
    expect(location).toMatchObject({ file: 'policy-document.plan.json', resource: 'aws_kms_key.trail' });
    expect(location?.policy?.line).toBeGreaterThan(location?.line ?? 0);
  });

  it('names a policy built from values known only after apply instead of guessing it', () => {
    const document = plan('jsonencode-unknown.plan.json').document as SnapshotDocument;
    const [, key] = Object.entries(document.keys)[0] ?? [];
    expect(key?.policy).toBeNull();
    expect(key?.error?.message).toMatch(
      /^it is module\.audit\.aws_kms_key\.logs\.policy: known only after apply: it is built from .*aws_iam_role\.log_reader\.arn/,
    );
    expect(document.collection?.unresolved?.map((u) => u.name)).toEqual(['module.audit.aws_kms_key.logs.policy']);
    // The trail inside the module still finds its key through the module's configuration.
    expect(document.trails[0]?.KmsKeyId).toBe(Object.keys(document.keys)[0]);
    expect(document.regions).toEqual(['eu-central-1']);
  });

  it('a kms_key_id the configuration does not tie to a key of the plan stays unresolved, named', () => {
    const result = plan('policy-document.plan.json', {}, (p) => {
      const root = (p.configuration as { root_module: { resources: { address: string; expressions: Record<string, unknown> }[] } })
        .root_module;
      const trail = root.resources.find((r) => r.address === 'aws_cloudtrail.main');
      if (trail !== undefined) trail.expressions.kms_key_id = { references: ['var.shared_key_arn'] };
    });
    const trail = result.document?.trails[0];
    expect(unresolvedName(trail?.KmsKeyId)).toBe('aws_cloudtrail.main.kms_key_id');
  });

  it('the account and Region: from the options when the plan does not say them, else one located line', () => {
    const withoutIdentity = (p: Record<string, unknown>) => {
      (p.prior_state as { values: { root_module: { resources: unknown[] } } }).values.root_module.resources = [];
    };
    expect(plan('policy-document.plan.json', {}, withoutIdentity).diagnostics.map((d) => d.message)).toEqual([
      'the plan does not say its account (no data.aws_caller_identity was read): give --account',
    ]);
    expect(plan('policy-document.plan.json', { account: '444455556666', region: 'us-east-2' }, withoutIdentity).document?.account.id).toBe(
      '444455556666',
    );
    expect(
      importTerraformPlan({ path: 'p.json', text: '{"format_version": "1.2"}', sha256: '' }, {}).diagnostics.map(
        (d) => `${d.line}:${d.column} ${d.message}`,
      ),
    ).toEqual(['1:1 a Terraform plan must be the JSON of terraform show -json PLANFILE (with terraform_version)']);
  });
});
