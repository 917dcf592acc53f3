import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, tempDir } from '../helpers/cli.js';

const INSTALL = "pip install 'moto[server]==5.2.5' 'py-ocsf-models==0.10.0'";
const REQUIRED = process.env.CI === 'true';
const SCRIPT = join(ROOT, 'test', 'formats', 'validate_findings.py');

function librariesAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import botocore, py_ocsf_models'], { stdio: 'ignore' }).status === 0;
}

/** The validator's verdict on a file: its exit code and what it printed. */
function validate(kind: 'asff' | 'ocsf', file: string): { code: number; out: string } {
  const run = spawnSync('python3', [SCRIPT, kind, file], { encoding: 'utf8' });
  return { code: run.status ?? -1, out: run.stdout + run.stderr };
}

const available = librariesAvailable();
if (!available && !REQUIRED)
  console.warn(`skipping the ASFF and OCSF validation: botocore or py-ocsf-models is not installed (${INSTALL})`);

describe.runIf(available || REQUIRED)('ASFF and OCSF, validated by the libraries their consumers use', () => {
  let dir: string;
  let many: string;

  beforeAll(() => {
    if (!available) throw new Error(`botocore and py-ocsf-models are required when CI=true: ${INSTALL}`);
    dir = tempDir();
    // 230 trails of one account and Region: more findings than one BatchImportFindings call takes.
    const example = JSON.parse(readFileSync(join(ROOT, 'examples/compliant/snapshot.json'), 'utf8')) as {
      trails: Record<string, unknown>[];
    };
    const model = example.trails[0] as Record<string, unknown>;
    example.trails = Array.from({ length: 230 }, (_, i) => ({
      ...model,
      Name: `t${i}`,
      TrailARN: String(model.TrailARN).replace(/[^/]+$/, `t${i}`),
    }));
    many = join(dir, 'many.json');
    writeFileSync(many, JSON.stringify(example));
  });

  const inputs: readonly (readonly string[])[] = [
    ['examples/non-compliant/snapshot.json'],
    ['examples/organisation/member-snapshot.json', 'examples/organisation/log-archive-snapshot.json', '--rules', 'examples/audit-pack'],
  ];

  it.each(inputs)('--format asff of %s is valid BatchImportFindings input, one call per line', async (...args) => {
    const file = join(dir, 'findings.jsonl');
    const run = await cli(['check', ...args, '--format', 'asff', '--out', file]);
    expect(run.code).toBe(1);
    const result = validate('asff', file);
    expect(result.out).toMatch(/\d+ findings checked, 0 problems\n$/);
    expect(result.code).toBe(0);
  });

  it.each(inputs)('--format ocsf of %s holds valid OCSF Compliance Findings', async (...args) => {
    const file = join(dir, 'findings.json');
    const run = await cli(['check', ...args, '--format', 'ocsf', '--out', file]);
    expect(run.code).toBe(1);
    const result = validate('ocsf', file);
    expect(result.out).toMatch(/\d+ findings checked, 0 problems\n$/);
    expect(result.code).toBe(0);
  });

  it('splits into calls of at most 100 findings of one account and Region, with ids that stay the same across runs', async () => {
    const first = await cli(['check', many, '--format', 'asff']);
    const second = await cli(['check', many, '--format', 'asff']);
    const batches = first.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { Findings: { Id: string; AwsAccountId: string }[] });
    expect(batches.map((b) => b.Findings.length)).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    const ids = (out: string) =>
      out
        .trimEnd()
        .split('\n')
        .flatMap((line) => (JSON.parse(line) as { Findings: { Id: string }[] }).Findings.map((f) => f.Id));
    expect(ids(second.stdout)).toEqual(ids(first.stdout));
    expect(new Set(ids(first.stdout)).size).toBe(1150);
    expect(ids(first.stdout)).toContain('trailguard/cloudtrail-sse-kms/arn:aws:cloudtrail:us-east-1:111122223333:trail/t7');
    const file = join(dir, 'many.jsonl');
    writeFileSync(file, first.stdout);
    expect(validate('asff', file).code).toBe(0);
  });

  it('twin: the validators refuse a finding without a title or with resources that are not a list, and an OCSF event with a field the class lacks', async () => {
    const asff = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'asff']);
    const lines = asff.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { Findings: Record<string, unknown>[] });
    const batch = lines.find((b) => b.Findings.length > 1) as { Findings: Record<string, unknown>[] };
    delete (batch.Findings[0] as Record<string, unknown>).Title;
    (batch.Findings[1] as Record<string, unknown>).Resources = 'arn:aws:kms:us-east-1:222233334444:key/x';
    (batch.Findings[0] as Record<string, unknown>).Compliance = { Status: 'MAYBE' };
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(batch)}\n`);
    const refused = validate('asff', bad);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('Missing required parameter in Findings[0]: "Title"');
    expect(refused.out).toContain('Invalid type for parameter Findings[1].Resources');
    expect(refused.out).toContain("input.Findings[0].Compliance.Status is 'MAYBE', not one of PASSED, WARNING, FAILED, NOT_AVAILABLE");

    const ocsf = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'ocsf']);
    const events = JSON.parse(ocsf.stdout) as Record<string, unknown>[];
    (events[0] as Record<string, unknown>).colour = 'red';
    delete (events[1] as Record<string, unknown>).finding_info;
    const badOcsf = join(dir, 'bad.json');
    writeFileSync(badOcsf, JSON.stringify(events));
    const refusedOcsf = validate('ocsf', badOcsf);
    expect(refusedOcsf.code).toBe(1);
    expect(refusedOcsf.out).toContain('event 0: event.colour is not an OCSF Compliance Finding field');
    expect(refusedOcsf.out).toMatch(/event 1: .*finding_info/);
  });
});
