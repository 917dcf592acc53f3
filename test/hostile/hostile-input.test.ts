import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
import { TrailguardError } from '../../engine/core/errors.js';
import { loadRulePacks } from '../../engine/rules/load-rules.js';
import { prepareCheck } from '../../engine/run-check.js';
import { cli, resultsOf, tempDir } from '../helpers/cli.js';
import { scaled } from '../helpers/scale.js';

/**
 * Inputs written by someone hostile or careless. Whatever comes in, trailguard ends with exit 0, 1 or 2 and a clear
 * message: never a crash, a hang, a stack trace or a polluted prototype.
 */

const ACCOUNT = '111122223333';
const TRAIL = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/t`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`;
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const snapshotText = (trail: string, keys = '{}') =>
  `{"schemaVersion":1,"account":{"id":"${ACCOUNT}","partition":"aws"},"trails":[${trail}],"keys":${keys}}`;
const plainTrail = (extra = '') => `{"Name":"t","TrailARN":"${TRAIL}","S3BucketName":"b"${extra}}`;

const ruleText = (id: string, body: string) =>
  `id: ${id}\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\n${body}`;

function prototypeIsClean(): void {
  const probe: Record<string, unknown> = {};
  for (const name of ['polluted', 'isAdmin', 'x', 'quantifier', 'AWS', 'StringEquals', 'admin', 'rule']) {
    expect(probe[name], `Object.prototype.${name}`).toBeUndefined();
  }
}

afterEach(() => prototypeIsClean());

describe('__proto__, constructor and prototype keys', () => {
  const hostileSnapshot = () =>
    file(
      'proto/snapshot.json',
      `${snapshotText(
        plainTrail(`,"KmsKeyId":"${KEY}","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}}`),
        `{"${KEY}":{"metadata":null,"error":null,"policy":{"Version":"2012-10-17","__proto__":{"x":1},"Statement":[{"Sid":"__proto__","Effect":"Allow","Principal":{"__proto__":{"AWS":"*"},"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*","Condition":{"__proto__":{"StringEquals":{"a":"b"}}}}]}}}`,
      ).slice(0, -1)},"__proto__":{"polluted":"yes"},"prototype":{"polluted":"yes"}}`,
    );

  it('in a snapshot they stay data: the check runs, an odd statement is named invalid, nothing is polluted', async () => {
    const snapshot = hostileSnapshot();
    const check = await prepareCheck({ snapshots: [snapshot], now: new Date('2026-11-29T00:00:00Z') });
    const findings = [...check.stream().findings];
    prototypeIsClean();
    const describe = findings.find((f) => f.ruleId === 'cloudtrail-key-policy-describe-key');
    expect(describe?.status).toBe('fail');
    expect(describe?.message).toContain('Principal.__proto__ must hold strings, found an object; unknown condition operator "__proto__"');
    const run = await cli(['check', snapshot]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('trailguard: 5 findings (3 fail, 1 unknown, 1 pass) for 5 rules on 1 snapshot; 3 failing at or above info\n');
  });

  it('as a key id or a rule binding or parameter name they are refused, with file:line:col', async () => {
    const snapshot = file('proto/keys.json', snapshotText(plainTrail(), `{"__proto__":{"metadata":null,"policy":null,"error":null}}`));
    const keys = await cli(['check', snapshot]);
    expect(keys.code).toBe(2);
    expect(keys.stderr).toMatch(/keys\.json:1:\d+ keys has an invalid property name "__proto__": it must match \^arn:/);
    const pack = join(dir, 'proto-rules');
    file(
      'proto-rules/r.yaml',
      ruleText(
        'r',
        'params:\n  __proto__: { default: 1 }\nlet:\n  constructor: { path: $.Name }\nassert:\n  - { path: $.Name, op: exists, __proto__: { quantifier: some } }\n',
      ),
    );
    await expect(loadRulePacks([pack])).rejects.toBeInstanceOf(TrailguardError);
    const run = await cli(['validate', pack]);
    expect(run.code).toBe(2);
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(l.indexOf('r.yaml'))),
    ).toEqual([
      'r.yaml:6:3 params cannot use the reserved name "__proto__" [rule-schema]',
      'r.yaml:8:3 let cannot use the reserved name "constructor" [rule-schema]',
      'r.yaml:10:33 assert[0].__proto__ is not a known property: known properties are path, op, quantifier, count, message (operator exists) [operator-options]',
    ]);
  });

  it('in waivers, params files and rule tests they are refused or stay data', async () => {
    const snapshot = file('proto/plain.json', snapshotText(plainTrail()));
    const waivers = file(
      'proto/waivers.yaml',
      '- { rule: cloudtrail-sse-kms, resource: "*", reason: r, owner: o, expires: 2099-01-01, __proto__: { admin: true } }\n',
    );
    const w = await cli(['check', snapshot, '--waivers', waivers]);
    expect(w.code).toBe(2);
    expect(w.stderr).toBe(
      `${waivers}:1:88 [0].__proto__ is not a known property: known properties are rule, resource, reason, owner, expires [waivers]\n`,
    );
    const params = file('proto/params.yaml', '__proto__: { cloudtrail-sse-kms: { x: 1 } }\n');
    const p = await cli(['check', snapshot, '--params', params]);
    expect(p.code).toBe(2);
    expect(p.stderr).toBe(`${params}:1:34 the params file sets parameters of "__proto__", which is not a loaded rule [rule-schema]\n`);
    file('proto-tests/r.yaml', ruleText('r', 'assert:\n  - { path: $.Name, op: exists }\n'));
    file(
      'proto-tests/r.tests.yaml',
      `tests:\n  - name: t\n    snapshot: { __proto__: { trails: [] }, trails: [${plainTrail()}] }\n    expect: { "__proto__": pass, "${TRAIL}": pass }\n`,
    );
    const t = await cli(['test', join(dir, 'proto-tests')]);
    expect(t.stdout).toContain('     __proto__: expected pass, but the rule selected no such resource');
    expect(t.code).toBe(1);
  });
});

describe('documents built to exhaust the parser or the evaluator', () => {
  it('JSON nested 100,000 levels deep is read; a path searching it ends as an error finding that says why', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const snapshot = file('deep/snapshot.json', snapshotText(plainTrail(`,"Extra":${deep}`)));
    const plain = await cli(['check', snapshot]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe('trailguard: 5 findings (1 fail, 4 skip) for 5 rules on 1 snapshot; 1 failing at or above info\n');
    file('deep/rules/search.yaml', ruleText('search', 'assert:\n  - { path: "$..KmsKeyId", op: exists }\n'));
    const searched = await cli(['check', snapshot, '--rules', join(dir, 'deep/rules'), '--no-builtin']);
    expect(searched.code).toBe(1);
    const finding = resultsOf<{ findings: { status: string; message: string }[] }>(searched.stdout).findings[0];
    expect(finding?.status).toBe('error');
    expect(finding?.message).toBe(
      'the rule could not be evaluated: the data is nested too deeply to search: evaluation ran out of stack (a path with .. or * met a document nested thousands of levels deep)',
    );
    const unclosed = file('deep/unclosed.json', '['.repeat(100_000));
    const bad = await cli(['check', unclosed]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^.*unclosed\.json:1:100001 invalid JSON: .+ \[json-syntax\]\n$/);
    expect(bad.stderr).not.toMatch(STACK_TRACE);
  });

  it('a 100 MB string in a bounded field is refused at once; in a field no rule reads it is never copied', async () => {
    const huge = 'x'.repeat(100_000_000);
    const named = file('huge/name.json', snapshotText(plainTrail().replace('"Name":"t"', `"Name":"${huge}"`)));
    const refused = await cli(['check', named]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`${named}:1:88 trails[0].Name must be at most 128 characters long, found 100000000 [snapshot-schema]\n`);
    const extra = file('huge/extra.json', snapshotText(plainTrail(`,"Extra":"${huge}"`)));
    const run = await cli(['check', extra]);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBeLessThan(100_000);
    // Two 100 MB files written and read twice: minutes on a slow disk are not a failure of what is tested here.
  }, 180_000);

  it('a key policy larger than KMS allows is refused', async () => {
    const sids = Array.from(
      { length: 400 },
      (_, i) => `{"Sid":"${'s'.repeat(100)}${i}","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`,
    );
    const snapshot = file(
      'huge/policy.json',
      snapshotText(
        plainTrail(),
        `{"${KEY}":{"metadata":null,"error":null,"policy":{"Version":"2012-10-17","Statement":[${sids.join(',')}]}}}`,
      ),
    );
    const run = await cli(['check', snapshot]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /policy\.json:1:\d+ keys\["arn:aws:kms:us-east-1:111122223333:key\/k"\]\.policy is \d+ characters long: a KMS key policy is at most 32768 \[snapshot-policy\]\n$/,
    );
  });

  it('a tiny policy of 10,000 empty statements, or of hundreds of granting ones, gives small evidence per finding', async () => {
    const grant = '{"Sid":"ct","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:*","Resource":"*"}';
    const policy = (statements: string) => `{"Version":"2012-10-17","Statement":[${grant},${statements}]}`;
    const trails = Array.from({ length: 20 }, (_, i) => plainTrail(`,"KmsKeyId":"${KEY}"`).replaceAll('trail/t', `trail/t${i}`));
    const empty = file(
      'small/empty.json',
      snapshotText(trails.join(','), `{"${KEY}":{"metadata":null,"error":null,"policy":${policy(Array(10_000).fill('{}').join(','))}}}`),
    );
    const run = await cli(['check', empty]);
    expect(run.code).toBe(1);
    // 76 KB of input gave 2.17 GB of results before: 40,000 problems were copied into every finding.
    expect(run.stdout.length).toBeLessThan(250_000);
    const results = resultsOf<{
      findings: { ruleId: string; evidence: { assertions?: { details?: Record<string, unknown> }[] } }[];
    }>(run.stdout);
    const details = results.findings.find((f) => f.ruleId === 'cloudtrail-key-policy-describe-key')?.evidence.assertions?.[0]?.details;
    expect(details?.policyProblems).toHaveLength(10);
    expect(details?.omitted).toEqual({ policyProblems: 39_990 });

    const copies = Array.from({ length: 200 }, (_, i) => grant.replace('"ct"', `"c${i}"`)).join(',');
    const many = file(
      'small/many.json',
      snapshotText(trails[0] as string, `{"${KEY}":{"metadata":null,"error":null,"policy":${policy(copies)}}}`),
    );
    const manyRun = await cli(['check', many, '--format', 'csv']);
    const line = manyRun.stdout.split('\n').find((l) => l.startsWith('fail,high,cloudtrail-key-policy-generate-data-key')) ?? '';
    expect(line).toContain('by Statement[0] (Sid ""ct""), Statement[1] (Sid ""c0""), Statement[2] (Sid ""c1"") and 198 more,');
    expect(line.length).toBeLessThan(4000);
  });

  it('a key policy or a rule file nested thousands of levels deep is refused, not a crash', async () => {
    const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Sid":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`;
    const snapshot = file(
      'deep/policy.json',
      snapshotText(plainTrail(`,"KmsKeyId":"${KEY}"`), `{"${KEY}":{"metadata":null,"error":null,"policy":${policy}}}`),
    );
    const run = await cli(['check', snapshot]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /policy\.json:\d+:\d+ keys\["arn:aws:kms:us-east-1:111122223333:key\/k"\]\.policy is nested more than 32 levels deep: no key policy is \[snapshot-policy\]\n$/,
    );
    file('deep/rules/r.yaml', `id: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    const rules = await cli(['validate', join(dir, 'deep/rules')]);
    expect(rules.code).toBe(2);
    expect(rules.stderr).toMatch(/r\.yaml:1:\d+ YAML syntax: the document is nested too deeply to read \[yaml-syntax\]\n$/);
  });

  it('regexes and globs built to backtrack run in linear time on a 1 MB value', async () => {
    const snapshot = file('regex/snapshot.json', snapshotText(plainTrail(`,"Extra":"${'a'.repeat(1_000_000)}!"`)));
    file(
      'regex/rules/backtrack.yaml',
      ruleText(
        'backtrack',
        'assert:\n  - { path: $.Extra, op: regex, pattern: "^(a+)+$" }\n  - { path: $.Extra, op: regex, pattern: "^(a|aa)*$" }\n  - { path: $.Extra, op: regex, pattern: "(x+x+)+y" }\n  - { path: $.Extra, op: glob, pattern: "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b" }\n',
      ),
    );
    const started = Date.now();
    const run = await cli(['check', snapshot, '--rules', join(dir, 'regex/rules'), '--no-builtin']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.code).toBe(1);
    const finding = resultsOf<{ findings: { evidence: { assertions: { status: string; reason: string }[] } }[] }>(run.stdout).findings[0];
    expect(finding?.evidence.assertions.map((a) => a.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    for (const a of finding?.evidence.assertions ?? []) expect(a.reason.length).toBeLessThan(300);
  });

  it('a script filter in a custom rule is refused; a search of the whole snapshot per trail costs one pass, not one per trail', async () => {
    file(
      'paths/script/script.yaml',
      ruleText('script', 'assert:\n  - { path: "$..[?(@.constructor.constructor(\'return process\')())]", op: exists }\n'),
    );
    const script = await cli(['validate', join(dir, 'paths/script')]);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/script\.yaml:6:13 invalid JSONPath .* script and filter expressions .* are not allowed in rules/);
    const snapshot = join(dir, 'paths/10k.json');
    await generateSnapshot(snapshot, scaled(10_000, 2000));
    file(
      'paths/search/search.yaml',
      ruleText('search', 'assert:\n  - { path: "snapshot..KmsKeyId", op: exists }\n  - { path: "snapshot..*", op: exists }\n'),
    );
    const started = Date.now();
    const run = await cli([
      'check',
      snapshot,
      '--rules',
      join(dir, 'paths/search'),
      '--no-builtin',
      '--quiet',
      '--out',
      join(dir, 'paths/out.json'),
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('files that are not what they claim', () => {
  it('non-UTF-8 bytes in a snapshot, a rule file and a waivers file are one clear line each', async () => {
    const latin1 = Buffer.from(snapshotText(plainTrail().replace('"t"', '"caf\u00e9"')), 'latin1');
    const snapshot = file('bytes/snapshot.json', latin1);
    const rule = file(
      'bytes/rules/r.yaml',
      Buffer.from(ruleText('r', 'description: caf\u00e9\nassert:\n  - { path: $.Name, op: exists }\n'), 'latin1'),
    );
    const waivers = file(
      'bytes/waivers.yaml',
      Buffer.from('- { rule: r, resource: "*", reason: caf\u00e9, owner: o, expires: 2099-01-01 }\n', 'latin1'),
    );
    const run = await cli(['check', snapshot, '--rules', join(rule, '..'), '--waivers', waivers]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n').sort()).toEqual([
      `${join(dir, 'bytes/rules/r.yaml')}: rule file is not valid UTF-8 text [encoding]`,
      `${snapshot}: snapshot is not valid UTF-8 text [encoding]`,
      `${waivers}: waivers file is not valid UTF-8 text [encoding]`,
    ]);
  });

  it('a snapshot that is a directory, a named pipe, a device or unreadable is refused without waiting on it', async () => {
    const folder = join(dir, 'not-files/folder.json');
    mkdirSync(folder, { recursive: true });
    const fifo = join(dir, 'not-files/pipe.json');
    execFileSync('mkfifo', [fifo]);
    const unreadable = file('not-files/unreadable.json', snapshotText(plainTrail()));
    chmodSync(unreadable, 0o000);
    // Root reads any file whatever its mode: a file whose read fails stands in for it there.
    const denied = process.getuid?.() === 0 ? '/proc/self/mem' : unreadable;
    const run = await cli(['check', folder, fifo, '/dev/zero', denied]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual(
      [
        `${folder}: snapshot must be a file, found a directory (a pack of rules goes with --rules; a snapshot is a JSON file) [file-unreadable]`,
        `${fifo}: snapshot must be a file, found a named pipe (FIFO) [file-unreadable]`,
        '/dev/zero: snapshot must be a file, found a device [file-unreadable]',
        denied === unreadable
          ? `${unreadable}: snapshot cannot be read: permission denied [file-unreadable]`
          : '/proc/self/mem: snapshot cannot be read: EIO: i/o error, read [file-unreadable]',
      ].sort((a, b) => a.localeCompare(b)),
    );
  });
});
