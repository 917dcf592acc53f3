import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

const TRAIL = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';

/** A pack folder with the given files, in a fresh temporary folder. */
function pack(files: Record<string, string>): string {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const VALIDATION_RULE = `id: log-validation
title: Trails validate their log files
severity: medium
params:
  required: { type: boolean, default: true }
resources: { path: "$.trails[*]", id: TrailARN, name: Name, type: "AWS::CloudTrail::Trail" }
assert:
  - { path: $.LogFileValidationEnabled, op: equals, value: "{{params.required}}" }
message:
  fail: "{{resource.Name}} does not validate its log files"
`;

const trailWith = (validation: boolean) =>
  `      trails: [{ Name: main, TrailARN: "${TRAIL}", S3BucketName: logs, LogFileValidationEnabled: ${validation} }]\n`;

describe('trailguard validate', () => {
  it('accepts the built-in pack and says what it checked', async () => {
    const run = await cli(['validate']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('ok: cis-cloudtrail-kms 1.0.0 (built-in): 5 rules, 28 tests\n');
  });

  it('reports every problem of every file at once, each with file:line:col, and exits 2', async () => {
    const run = await cli(['validate', 'test/fixtures/bad-rules/invalid', 'test/fixtures/bad-rules/syntax']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    for (const line of lines) expect(line).toMatch(/^test\/fixtures\/bad-rules\/\w+\/[\w-]+\.yaml:\d+:\d+ .+ \[[a-z-]+\]$/);
    expect(lines).toContain(
      'test/fixtures/bad-rules/invalid/schema-rule.yaml:3:11 severity must be one of critical, high, medium, low, info, found "severe" [rule-schema]',
    );
    expect(lines).toContain(
      'test/fixtures/bad-rules/invalid/wrong-name.yaml:1:5 rule id "something-else" must match its file name "wrong-name" [rule-id]',
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          'test/fixtures/bad-rules/invalid/unknown-op.yaml:10:9 unknown operator "existz" (did you mean "exists"?): valid operators are exists, absent,',
        ),
      ),
    ).toBe(true);
    expect(lines).toContain(
      'test/fixtures/bad-rules/syntax/syntax.yaml:5:1 YAML syntax: Flow map in block collection must be sufficiently indented and end with a } [yaml-syntax]',
    );
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('a list of fixes is checked alternative by alternative, each problem at its place', async () => {
    const dir = pack({
      'fixes.yaml': `id: fixes
title: t
severity: low
resources: { path: "$.trails[*]", id: TrailARN, type: "AWS::CloudTrail::Trail" }
assert:
  - { path: $.Name, op: exists }
fix:
  - when: [{ path: nope.x, op: exists }]
    summary: "{{verdict.details.deniedBy}}"
  - summary: 3
`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${dir}/fixes.yaml:8:20 path "nope.x" reads "nope", which is not defined: define it under let, or use one of resource, snapshot, rule, verdict [unknown-binding]`,
      `${dir}/fixes.yaml:10:14 fix[1].summary must be a string, found number 3 [rule-schema]`,
    ]);
  });

  it('reports a duplicate id in both files', async () => {
    const run = await cli(['validate', 'rules/cis-cloudtrail-kms', 'test/fixtures/bad-rules/duplicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'test/fixtures/bad-rules/duplicate/cloudtrail-sse-kms.yaml:1:5 rule id "cloudtrail-sse-kms" is defined more than once (rules/cis-cloudtrail-kms/cloudtrail-sse-kms.yaml:1) [duplicate-rule]',
    );
  });

  it('checks the tests files of a pack, located in them', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:\n  - name: no input\n    expect: { "${TRAIL}": pass }\n`,
      'second.yaml': VALIDATION_RULE.replace('log-validation', 'second'),
      'second.tests.yaml': `tests:\n  - name: bogus\n    snapshot: {}\n    expect: { "${TRAIL}": bogus }\n`,
      'other.tests.yaml': 'tests: []\n',
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    const lines = run.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.slice(l.indexOf('pack/') + 5));
    expect(lines).toEqual([
      `log-validation.tests.yaml:2:5 test "no input" needs exactly one of snapshot or snapshots [rule-tests]`,
      'other.tests.yaml:1:1 tests for rule "other", which pack pack does not hold: name the file <rule-id>.tests.yaml [rule-tests]',
      `second.tests.yaml:4:71 tests[0].expect["${TRAIL}"] must be one of pass, fail, unknown, skip, error, found "bogus" [rule-tests]`,
    ]);
  });

  it('reports the problems of rules and of tests files in one run', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE.replace('severity: medium', 'severity: severe'),
      'log-validation.tests.yaml': `tests:\n  - name: t\n    snapshot: {}\n    expect: { "${TRAIL}": passes }\n`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(l.indexOf('pack/') + 5)),
    ).toEqual([
      'log-validation.tests.yaml:4:71 tests[0].expect["arn:aws:cloudtrail:us-east-1:111122223333:trail/main"] must be one of pass, fail, unknown, skip, error, found "passes" [rule-tests]',
      'log-validation.yaml:3:11 severity must be one of critical, high, medium, low, info, found "severe" [rule-schema]',
    ]);
  });

  it("checks a test's parameters against the rule and its snapshot files, located in the tests file", async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:\n  - name: t\n    snapshot: missing.json\n    params: { required: maybe }\n    expect: { "${TRAIL}": pass }\n`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(l.indexOf('pack/') + 5)),
    ).toEqual([
      `log-validation.tests.yaml:3:15 snapshot "missing.json" (${join(dir, 'missing.json')}): snapshot not found: no such file [file-not-found]`,
      'log-validation.tests.yaml:4:25 parameter required of log-validation must be a boolean, found string "maybe" [rule-schema]',
    ]);
  });

  it('checks a params file against the rules', async () => {
    const dir = pack({ 'log-validation.yaml': VALIDATION_RULE });
    const params = join(dir, '..', 'params.yaml');
    writeFileSync(params, 'log-validation:\n  required: "yes"\n');
    const run = await cli(['validate', dir, '--params', params]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /params\.yaml:2:13 parameter required of log-validation must be a boolean, found string "yes" \[rule-schema\]\n$/,
    );
  });
});

describe('trailguard test', () => {
  it('runs the built-in pack tests: a line per test, full coverage, N passed, N failed', async () => {
    const run = await cli(['test', '--require-tests', '--require-coverage']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('PASS '))).toHaveLength(28);
    expect(lines.filter((l) => l.startsWith('coverage '))).toEqual([
      'coverage cloudtrail-sse-kms: 3 tests, gave fail, pass; every assertion seen true and false',
      'coverage cloudtrail-key-policy-describe-key: 6 tests, gave fail, pass, skip, unknown; every assertion seen true and false',
      'coverage cloudtrail-key-policy-generate-data-key: 6 tests, gave fail, pass, skip, unknown; every assertion seen true and false',
      'coverage cloudtrail-key-policy-decrypt: 6 tests, gave fail, pass, skip, unknown; every assertion seen true and false',
      'coverage cloudtrail-kms-key-state: 7 tests, gave fail, pass, skip, unknown; every assertion seen true and false',
    ]);
    expect(lines.at(-1)).toBe('28 passed, 0 failed');
  });

  it('a wrong expectation fails the test with what was expected and what came, exit 1', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:\n  - name: validation off passes\n    snapshot:\n${trailWith(false)}    expect: { "${TRAIL}": pass }\n`,
    });
    const run = await cli(['test', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^FAIL log-validation › validation off passes \(.*log-validation\.tests\.yaml:2\)$/),
      `     ${TRAIL}: expected pass, got fail: main does not validate its log files`,
    ]);
    expect(run.stdout).toMatch(/\n0 passed, 1 failed\n$/);
  });

  it('checks messages, and a resource the rule does not select', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:
  - name: message
    snapshot:
${trailWith(false)}    expect: { "${TRAIL}": { status: fail, message: "does not encrypt" } }
  - name: missing resource
    snapshot:
${trailWith(false)}    expect: { "arn:aws:cloudtrail:us-east-1:111122223333:trail/other": fail }
`,
    });
    const run = await cli(['test', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`     ${TRAIL}: the message does not contain "does not encrypt": main does not validate its log files\n`);
    expect(run.stdout).toContain(
      `     arn:aws:cloudtrail:us-east-1:111122223333:trail/other: expected fail, but the rule selected no such resource (it selected ${TRAIL})\n`,
    );
  });

  it('reports assertions never seen both true and false; --require-coverage makes that a failure', async () => {
    const files = {
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:\n  - name: validation on passes\n    snapshot:\n${trailWith(true)}    expect: { "${TRAIL}": pass }\n`,
    };
    const gap =
      'coverage log-validation: 1 test, gave pass; assert[0] ($.LogFileValidationEnabled equals) was never false; no test made it fail';
    const reported = await cli(['test', pack(files)]);
    expect(reported.code).toBe(0);
    expect(reported.stdout).toContain(`\n${gap}\n1 passed, 0 failed\n`);
    const required = await cli(['test', pack(files), '--require-coverage']);
    expect(required.code).toBe(1);
    expect(required.stdout).toContain(`\nFAIL ${gap}\n1 passed, 1 failed\n`);
  });

  it('--require-tests fails a rule without tests', async () => {
    const dir = pack({ 'log-validation.yaml': VALIDATION_RULE });
    const note = await cli(['test', dir]);
    expect(note.code).toBe(0);
    expect(note.stdout).toMatch(/^note: log-validation has no tests \(.*log-validation\.tests\.yaml\)\n0 passed, 0 failed\n$/);
    const run = await cli(['test', dir, '--require-tests']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL log-validation has no tests: write them in .*log-validation\.tests\.yaml\n0 passed, 1 failed\n$/);
  });

  it('a test can set parameters and read a snapshot file relative to itself', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'trail.json': JSON.stringify({
        schemaVersion: 1,
        account: { id: '111122223333', partition: 'aws' },
        trails: [{ Name: 'main', TrailARN: TRAIL, S3BucketName: 'logs', LogFileValidationEnabled: false }],
        keys: {},
      }),
      'log-validation.tests.yaml': `tests:
  - name: off fails by default
    snapshot: trail.json
    expect: { "${TRAIL}": fail }
  - name: off passes when the parameter says validation is not required
    snapshot: trail.json
    params: { required: false }
    expect: { "${TRAIL}": pass }
`,
    });
    const run = await cli(['test', dir]);
    expect(run.stdout).toMatch(/\n2 passed, 0 failed\n$/);
    expect(run.code).toBe(0);
  });

  it('a bad inline snapshot is located in the tests file, exit 2', async () => {
    const dir = pack({
      'log-validation.yaml': VALIDATION_RULE,
      'log-validation.tests.yaml': `tests:\n  - name: bad\n    snapshot:\n      trails: [{ Name: main }]\n    expect: { "${TRAIL}": pass }\n`,
    });
    const run = await cli(['test', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /pack\/log-validation\.tests\.yaml:4:16 trails\[0\] is missing the required property TrailARN \[snapshot-schema\]\n$/,
    );
  });
});
