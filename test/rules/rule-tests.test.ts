import { describe, expect, it } from 'vitest';
import { cli, resultsOf } from '../helpers/cli.js';

describe('the rule tests of the built-in pack and the example custom pack', () => {
  it('all pass, every rule has tests, and every assertion is seen true and false', async () => {
    const run = await cli(['test', 'rules/cis-cloudtrail-kms', 'examples/custom-pack', '--require-tests', '--require-coverage']);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('coverage ')).map((l) => l.split(':')[0])).toEqual([
      'coverage cloudtrail-sse-kms',
      'coverage cloudtrail-key-policy-describe-key',
      'coverage cloudtrail-key-policy-generate-data-key',
      'coverage cloudtrail-key-policy-decrypt',
      'coverage cloudtrail-kms-key-state',
      'coverage kms-key-not-open-to-everyone',
      'coverage trail-multi-region-log-validation',
      'coverage trail-logs-to-approved-bucket',
    ]);
    expect(lines.at(-1)).toBe('39 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('the example pack runs beside the built-in pack on the examples, with its pack.yaml parameters', async () => {
    const run = await cli(['check', 'examples/compliant/snapshot.json', '--rules', 'examples/custom-pack']);
    const results = resultsOf<{
      packs: { name: string; version: string }[];
      rules: { id: string; params?: unknown }[];
      findings: { ruleId: string; status: string; resource: { id: string } }[];
    }>(run.stdout);
    expect(results.packs.map((p) => `${p.name} ${p.version}`)).toEqual(['cis-cloudtrail-kms 1.0.0', 'example-custom 0.1.0']);
    expect(results.rules.find((r) => r.id === 'trail-logs-to-approved-bucket')?.params).toEqual({
      approvedBuckets: ['aws-cloudtrail-logs-111122223333', 'eu-data-events-logs-111122223333'],
    });
    const failing = results.findings.filter((f) => f.status === 'fail').map((f) => `${f.ruleId} ${f.resource.id}`);
    expect(failing).toEqual(['trail-multi-region-log-validation arn:aws:cloudtrail:eu-west-1:111122223333:trail/eu-data-events']);
    expect(run.code).toBe(1);
  });
});
