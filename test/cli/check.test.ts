import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';

const COMPLIANT = 'examples/compliant/snapshot.json';
const NON_COMPLIANT = 'examples/non-compliant/snapshot.json';
const MEMBER = 'examples/organisation/member-snapshot.json';
const ARCHIVE = 'examples/organisation/log-archive-snapshot.json';

interface Results {
  findings: { ruleId: string; status: string; resource: { name?: string; id: string }; message: string }[];
  summary: { total: number; failing: number; byStatus: Record<string, number>; incompleteInputs: number };
  inputs: { path: string; sha256: string; errors: { operation: string; coveredBy?: string }[] }[];
}

function statuses(results: Results): Record<string, string> {
  return Object.fromEntries(results.findings.map((f) => [`${f.ruleId} ${f.resource.name}`, f.status]));
}

describe('trailguard check on the examples', () => {
  it('passes the compliant account: exit 0, results valid against the results schema', async () => {
    const run = await cli(['check', COMPLIANT]);
    expect(run.code).toBe(0);
    const results = resultsOf<Results>(run.stdout);
    expect(results.summary).toMatchObject({ total: 10, failing: 0, byStatus: { pass: 10 } });
    expect(results.inputs[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.stderr).toBe('trailguard: 10 findings (10 pass) for 5 rules on 1 snapshot; nothing failing\n');
  });

  it('fails the non-compliant account with exit 1 and the expected verdict per trail', async () => {
    const run = await cli(['check', NON_COMPLIANT]);
    expect(run.code).toBe(1);
    const results = resultsOf<Results>(run.stdout);
    expect(statuses(results)).toMatchObject({
      'cloudtrail-sse-kms default-sse-s3': 'fail',
      'cloudtrail-key-policy-describe-key default-sse-s3': 'skip',
      'cloudtrail-key-policy-generate-data-key kms-star-to-cloudtrail': 'fail',
      'cloudtrail-key-policy-decrypt root-only-decrypt': 'fail',
      'cloudtrail-key-policy-describe-key perimeter-deny': 'fail',
      // The perimeter Deny on aws:PrincipalOrgID decides decrypt, and the snapshot does not record the organisation.
      'cloudtrail-key-policy-decrypt perimeter-deny': 'unknown',
      'cloudtrail-kms-key-state key-pending-deletion': 'fail',
      'cloudtrail-key-policy-decrypt policy-not-readable': 'unknown',
      'cloudtrail-kms-key-state aws-managed-key': 'fail',
      'cloudtrail-key-policy-generate-data-key alias-reference': 'unknown',
    });
    expect(results.summary.incompleteInputs).toBe(1);
    expect(run.stderr).toContain('1 snapshot(s) recorded collection errors (incomplete coverage); 10 failing at or above info');
  });

  it('--fail-on raises the threshold: no critical rule fails, so exit 0', async () => {
    const run = await cli(['check', NON_COMPLIANT, '--fail-on', 'critical']);
    expect(run.code).toBe(0);
    expect(resultsOf<Results>(run.stdout).summary.failing).toBe(0);
  });

  it('judges the organisation pair together: the log-archive snapshot supplies the key policy', async () => {
    const alone = resultsOf<Results>((await cli(['check', MEMBER])).stdout);
    expect(alone.summary.byStatus.unknown).toBe(6);
    expect(alone.summary.incompleteInputs).toBe(1);
    expect(alone.inputs[0]?.errors[0]?.coveredBy).toBeUndefined();
    const run = await cli(['check', MEMBER, ARCHIVE]);
    expect(run.code).toBe(0);
    const results = resultsOf<Results>(run.stdout);
    expect(results.summary).toMatchObject({ total: 10, byStatus: { pass: 10 }, incompleteInputs: 0 });
    expect(results.inputs.map((i) => i.path)).toEqual([MEMBER, ARCHIVE]);
    // The member could not read the log-archive key's policy; the log-archive snapshot holds it, so nothing is missing.
    expect(results.inputs[0]?.errors).toEqual([expect.objectContaining({ operation: 'GetKeyPolicy', coveredBy: ARCHIVE })]);
    expect(run.stderr).toBe('trailguard: 10 findings (10 pass) for 5 rules on 2 snapshots; nothing failing\n');
  });
});

describe('trailguard check outputs', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it.each([
    ['markdown-full', 'report.md', '### default-sse-s3'],
    ['markdown', 'summary.md', '### default-sse-s3: R2 cloudtrail-sse-kms'],
    ['html', 'report.html', '<span class="status fail">fail</span>'],
    ['json', 'results.json', '"resultsVersion": 2'],
  ])('--format %s --out writes the report atomically', async (format, file, text) => {
    const out = join(dir, file);
    const run = await cli(['check', NON_COMPLIANT, '--format', format, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`→ ${out}`);
    expect(readFileSync(out, 'utf8')).toContain(text);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the HTML report escapes what it did not write itself', async () => {
    const hostile = JSON.parse(readFileSync(join(ROOT, COMPLIANT), 'utf8')) as { trails: { Name: string }[] };
    hostile.trails[0] = { ...hostile.trails[0], Name: '<script>alert(1)</script>' } as { Name: string };
    const snapshot = join(dir, 'hostile.json');
    writeFileSync(snapshot, JSON.stringify(hostile));
    const out = join(dir, 'hostile.html');
    await cli(['check', snapshot, '--format', 'html', '--out', out]);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('trailguard check on bad input: one clear line, exit 2, nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'truncated.json'), readFileSync(join(ROOT, COMPLIANT), 'utf8').slice(0, 120));
    writeFileSync(join(dir, 'v2.json'), '{ "schemaVersion": 2, "account": {}, "trails": [], "keys": {} }\n');
    writeFileSync(
      join(dir, 'schema.json'),
      '{\n  "schemaVersion": 1,\n  "account": { "id": "111122223333", "partition": "aws" },\n  "trails": [ { "Name": "x" } ],\n  "keys": {}\n}\n',
    );
    writeFileSync(join(dir, 'not-utf8.json'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  });

  it.each([
    ['a missing snapshot', ['check', 'nope.json'], 'nope.json: snapshot not found: no such file [file-not-found]'],
    [
      'a truncated snapshot',
      ['check', '{dir}/truncated.json'],
      '{dir}/truncated.json:6:18 invalid JSON: expected the end of the string, found "\\"arn:aws:sts" [json-syntax]',
    ],
    [
      'an unknown schemaVersion',
      ['check', '{dir}/v2.json'],
      '{dir}/v2.json:1:20 unknown snapshot schemaVersion 2: this trailguard reads schema version 1 [snapshot-version]',
    ],
    [
      'a snapshot that breaks the schema',
      ['check', '{dir}/schema.json'],
      '{dir}/schema.json:4:15 trails[0] is missing the required property TrailARN [snapshot-schema]',
    ],
    ['bytes that are not UTF-8', ['check', '{dir}/not-utf8.json'], '{dir}/not-utf8.json: snapshot is not valid UTF-8 text [encoding]'],
    [
      'a directory as snapshot',
      ['check', 'examples'],
      'examples: snapshot must be a file, found a directory (a pack of rules goes with --rules; a snapshot is a JSON file) [file-unreadable]',
    ],
    [
      'an unknown --format',
      ['check', COMPLIANT, '--format', 'xml'],
      'trailguard: unknown --format "xml": expected one of json, markdown, markdown-full, html, sarif, junit, csv, asff, ocsf [usage]',
    ],
    [
      'an unknown --fail-on',
      ['check', COMPLIANT, '--fail-on', 'severe'],
      'trailguard: unknown --fail-on "severe": expected one of critical, high, medium, low, info [usage]',
    ],
    ['no snapshot at all', ['check'], 'trailguard: check needs at least one snapshot file [usage]'],
    ['an unknown option', ['check', COMPLIANT, '--bogus'], 'trailguard: unknown option --bogus (see trailguard --help) [usage]'],
    [
      'a missing rule pack',
      ['check', COMPLIANT, '--rules', 'no-such-pack'],
      'no-such-pack: rule pack not found: no such file or folder [file-not-found]',
    ],
  ])('%s', async (_name, args, line) => {
    const out = join(dir, 'out.json');
    const run = await cli([...args.map((a) => a.replace('{dir}', dir)), '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${line.replace('{dir}', dir)}\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('prints a stack trace only with --verbose', async () => {
    const quiet = await cli(['check', join(dir, 'truncated.json')]);
    expect(quiet.stderr).not.toContain('    at ');
    const verbose = await cli(['check', join(dir, 'truncated.json'), '--verbose']);
    expect(verbose.stderr).toContain('    at ');
    expect(verbose.code).toBe(2);
  });
});

describe('trailguard check on bad rules: every problem of every file, compiler-style, exit 2', () => {
  it('reports YAML syntax errors at their line and column', async () => {
    const run = await cli(['check', COMPLIANT, '--rules', 'test/fixtures/bad-rules/syntax']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'test/fixtures/bad-rules/syntax/syntax.yaml:5:1 YAML syntax: Flow map in block collection must be sufficiently indented and end with a } [yaml-syntax]\n',
    );
  });

  it('reports schema, operator, JSONPath, binding and id problems together, sorted', async () => {
    const run = await cli(['check', COMPLIANT, '--rules', 'test/fixtures/bad-rules/invalid']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const dir = 'test/fixtures/bad-rules/invalid';
    expect(run.stderr.split('\n')).toEqual([
      `${dir}/schema-rule.yaml:3:11 severity must be one of critical, high, medium, low, info, found "severe" [rule-schema]`,
      `${dir}/schema-rule.yaml:8:3 resources.colour is not a known property: known properties are path, id, name, type, account, region [rule-schema]`,
      `${dir}/schema-rule.yaml:10:5 exists takes no quantifier or count: it judges everything the path selects at once [operator-options]`,
      `${dir}/schema-rule.yaml:13:5 assert[1] is missing the required property value (operator equals) [operator-options]`,
      `${dir}/schema-rule.yaml:17:14 invalid regular expression: error parsing regexp: missing closing ): \`(unclosed\` [regex]`,
      `${dir}/unknown-op.yaml:7:18 unknown lookup "s3-bucket": valid lookups are kms-key, entry [unknown-lookup]`,
      `${dir}/unknown-op.yaml:10:9 unknown operator "existz" (did you mean "exists"?): valid operators are exists, absent, equals, notEquals, in, notIn, contains, containsAny, containsAll, regex, glob, startsWith, endsWith, length, type, iam-action-matches, iam-policy, iam-grantees [unknown-operator]`,
      `${dir}/unknown-op.yaml:11:11 invalid JSONPath "$.trails[?(@.KmsKeyId)]": script and filter expressions ([?(…)], [(…)]) are not allowed in rules: select with a plain path and test values with an operator (at character 9) [json-path]`,
      `${dir}/unknown-op.yaml:13:11 invalid JSONPath "$.a[": unclosed [ in JSONPath (at character 4) [json-path]`,
      `${dir}/unknown-op.yaml:15:11 path "nokey.policy" reads "nokey", which is not defined: define it under let, or use one of resource, snapshot, key, bad [unknown-binding]`,
      `${dir}/unknown-op.yaml:17:10 {{nothing…}} reads "nothing", which is not defined: define it under let, or use one of resource, snapshot, key, bad, rule, verdict [unknown-binding]`,
      `${dir}/wrong-name.yaml:1:5 rule id "something-else" must match its file name "wrong-name" [rule-id]`,
      '',
    ]);
  });

  it('reports a rule id defined twice, in both places', async () => {
    const run = await cli(['check', COMPLIANT, '--rules', 'test/fixtures/bad-rules/duplicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'rules/cis-cloudtrail-kms/cloudtrail-sse-kms.yaml:1:5 rule id "cloudtrail-sse-kms" is defined more than once (test/fixtures/bad-rules/duplicate/cloudtrail-sse-kms.yaml:1) [duplicate-rule]\n' +
        'test/fixtures/bad-rules/duplicate/cloudtrail-sse-kms.yaml:1:5 rule id "cloudtrail-sse-kms" is defined more than once (rules/cis-cloudtrail-kms/cloudtrail-sse-kms.yaml:1) [duplicate-rule]\n',
    );
  });

  it('reports bad snapshots and bad rules of one run together', async () => {
    const run = await cli(['check', 'missing.json', '--rules', 'test/fixtures/bad-rules/syntax']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('--no-builtin runs only the given packs', async () => {
    const run = await cli(['check', COMPLIANT, '--no-builtin', '--rules', 'test/fixtures/bad-rules/duplicate']);
    expect(run.code).toBe(0);
    expect(resultsOf<Results>(run.stdout).findings.map((f) => f.ruleId)).toEqual(['cloudtrail-sse-kms', 'cloudtrail-sse-kms']);
  });
});

describe('--fail-on-unknown', () => {
  it('counts unknown findings as failing: the member snapshot alone exits 1', async () => {
    expect((await cli(['check', MEMBER])).code).toBe(0);
    const run = await cli(['check', MEMBER, '--fail-on-unknown']);
    expect(run.code).toBe(1);
    expect(resultsOf<Results>(run.stdout).summary.failing).toBe(6);
    expect(run.stderr).toContain('6 failing at or above info (unknown counted)');
  });
});
