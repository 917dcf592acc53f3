import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

/** A pack folder holding the given files. */
function pack(files: Record<string, string>): string {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HEAD = 'id: r\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\n';

describe('mistakes get a suggestion', () => {
  it('a mistyped command says which one was meant, and lists them', async () => {
    const run = await cli(['chek', 'examples/compliant/snapshot.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'trailguard: unknown command "chek" (did you mean check?): commands are check, collect, import, render, validate, test, diff, fix, explain (see trailguard --help) [usage]\n',
    );
  });

  it('a mistyped option says which one was meant, once (not also camel-cased)', async () => {
    const run = await cli(['check', 'examples/compliant/snapshot.json', '--fromat', 'json', '--fail-on-unknwn']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'trailguard: unknown option --fromat (did you mean --format?); unknown option --fail-on-unknwn (did you mean --fail-on-unknown?) (see trailguard --help) [usage]\n',
    );
    const far = await cli(['check', 'examples/compliant/snapshot.json', '--zzzzzz']);
    expect(far.stderr).toBe('trailguard: unknown option --zzzzzz (see trailguard --help) [usage]\n');
  });

  it('a misspelt operator, lookup, rule field or option names the one meant; one problem is one line', async () => {
    const dir = pack({
      'r.yaml': `id: r
title: t
severity: low
resources: { path: "$.trails[*]", id: TrailARN, type: T, nmae: Name }
let:
  key: { lookup: kms-kye, of: $.KmsKeyId }
assert:
  - { path: $.Name, op: equls, value: x }
  - { path: $.Name, op: regex, patern: "^a" }
  - { path: $.Name, op: equals, value: x, quantifier: any }
  - { path: $.Name, op: equals, value: x, colour: red }
mesage: x
`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      `${dir}/r.yaml:4:58 resources.nmae is not a known property (did you mean name?) [rule-schema]`,
      `${dir}/r.yaml:6:18 unknown lookup "kms-kye" (did you mean "kms-key"?): valid lookups are kms-key, entry [unknown-lookup]`,
      `${dir}/r.yaml:8:25 unknown operator "equls" (did you mean "equals"?): valid operators are exists, absent, equals, notEquals, in, notIn, contains, containsAny, containsAll, regex, glob, startsWith, endsWith, length, type, iam-action-matches, iam-policy, iam-grantees [unknown-operator]`,
      `${dir}/r.yaml:9:32 assert[1].patern is not a known property (did you mean pattern?) (operator regex) [operator-options]`,
      `${dir}/r.yaml:10:55 assert[2].quantifier must be one of all, some, none, found "any" [rule-schema]`,
      `${dir}/r.yaml:11:43 assert[3].colour is not a known property: known properties are path, op, quantifier, count, message, value (operator equals) [operator-options]`,
      `${dir}/r.yaml:12:1 mesage is not a known property (did you mean message?) [rule-schema]`,
      '',
    ]);
  });

  it('a rule file or a pack given where a snapshot goes points at --rules', async () => {
    const dir = pack({ 'r.yaml': `${HEAD}assert: [{ path: $.Name, op: exists }]\n` });
    const file = await cli(['check', join(dir, 'r.yaml')]);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe(
      `${dir}/r.yaml:1:1 invalid JSON: expected a JSON value, found "id: r": this is a YAML file, not a snapshot (rule files and packs go with --rules) [json-syntax]\n`,
    );
    const folder = await cli(['check', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(
      `${dir}: snapshot must be a file, found a directory (a pack of rules goes with --rules; a snapshot is a JSON file) [file-unreadable]\n`,
    );
  });
});

describe('validate warns about what is declared and never used', () => {
  it('an unused parameter, binding and test expectation are warnings: validate still exits 0', async () => {
    const dir = pack({
      'r.yaml': `${HEAD}params:
  spare: { type: string, default: x }
  used: { type: string, default: y }
let:
  name: { path: $.Name }
  unused: { path: $.S3BucketName }
assert:
  - { path: name, op: equals, value: "{{params.used}}" }
`,
      'r.tests.yaml': `tests:
  - name: the trail y passes
    snapshot:
      trails: [{ Name: y, TrailARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/y" }]
    expect:
      arn:aws:cloudtrail:us-east-1:111122223333:trail/y: pass
      arn:aws:cloudtrail:us-east-1:111122223333:trail/z: pass
`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`ok: pack unversioned (${dir}): 1 rule, 1 test\n`);
    expect(run.stderr.split('\n')).toEqual([
      `${dir}/r.tests.yaml:2:3 warning: test "the trail y passes" expects a finding for arn:aws:cloudtrail:us-east-1:111122223333:trail/z, but its snapshot holds no such resource for r (it has arn:aws:cloudtrail:us-east-1:111122223333:trail/y) [unused-expectation]`,
      `${dir}/r.yaml:6:3 warning: parameter spare is declared but never read: read it as {{params.spare}}, or remove it [unused-parameter]`,
      `${dir}/r.yaml:10:3 warning: binding unused is defined but never read: read it in a path (unused.…) or a template ({{unused…}}), or remove it [unused-binding]`,
      '',
    ]);
  });

  it('with errors in other files, the warnings are told among them; a file with errors gets no warnings', async () => {
    const dir = pack({
      'a.yaml': `${HEAD.replace('id: r', 'id: a')}params:\n  spare: { type: string, default: x }\nassert:\n  - { path: $.Name, op: exists }\n`,
      'b.yaml': `${HEAD.replace('id: r', 'id: b')}params:\n  spare: { type: string, default: x }\nassert:\n  - { path: $.Name, op: equls, value: x }\n`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      `${dir}/a.yaml:6:3 warning: parameter spare is declared but never read: read it as {{params.spare}}, or remove it [unused-parameter]`,
      expect.stringMatching(new RegExp(`^${dir}/b\\.yaml:8:25 unknown operator "equls" \\(did you mean "equals"\\?\\)`)),
      '',
    ]);
  });

  it('twin: names read anywhere a rule reads them — paths, templates, lookups, fixes — are not warned about', async () => {
    const dir = pack({
      'r.yaml': `${HEAD}params:
  bucket: { type: string, default: logs }
let:
  trail: { arn: $.TrailARN }
  key: { lookup: kms-key, of: $.KmsKeyId }
  status: { lookup: entry, in: snapshot.trailStatus, of: "$.TrailARN" }
assert:
  - { path: status.IsLogging, op: equals, value: true }
message: "{{trail.account}} {{params.bucket}}"
fix: { summary: add it, document: key, statement: { Sid: x } }
`,
    });
    const run = await cli(['validate', dir]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(await cli(['validate'])).toMatchObject({ code: 0, stderr: '' });
    expect(await cli(['validate', 'examples/custom-pack'])).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('list parameters', () => {
  it('a list parameter named as an item of a list is spread into it', async () => {
    const dir = pack({
      'r.yaml': `${HEAD}params:
  more: { type: array, default: [eu-west-1, eu-central-1] }
assert:
  - { path: $.HomeRegion, op: in, values: [us-east-1, "{{params.more}}"] }
message: "{{verdict.reason}}"
`,
    });
    const run = await cli(['check', 'examples/compliant/snapshot.json', '--rules', dir, '--no-builtin', '--format', 'csv']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('is ""eu-west-1"", one of [""us-east-1"", ""eu-west-1"", ""eu-central-1""]');
  });
});
