import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
import { PatternIndex } from '../../engine/core/pattern-index.js';
import { OPERATORS } from '../../engine/operators/index.js';
import type { ValueOperator } from '../../engine/operators/types.js';
import { prepareCheck } from '../../engine/run-check.js';
import { cli, ROOT, tempDir } from '../helpers/cli.js';
import { scaled } from '../helpers/scale.js';

/**
 * Every kind of input has a size limit and a located error; every text output keeps control characters from
 * reaching the terminal raw; templates get no console and say where they fail; and the two ways a run could turn
 * quadratic (many waivers, a per-value operator over the whole snapshot) stay linear.
 */

const ACCOUNT = '111122223333';
const TRAIL = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/t`;
const COMPLIANT = join(ROOT, 'examples', 'compliant', 'snapshot.json');
const ESC = '\u001b';
const CSI = '\u009b';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A file of `mib` MiB that takes no disk space: the size is checked before anything is read. */
function sparse(name: string, mib: number): string {
  const path = file(name, '');
  truncateSync(path, mib * 1024 * 1024);
  return path;
}

const hasRawControls = (text: string) => [...text].some((c) => c === ESC || c === CSI || c === '\u0007');

describe('size limits, one line each', () => {
  it('a snapshot, a waivers file, a rule file and a template past their limits are refused before they are read', async () => {
    const snapshot = sparse('big/snapshot.json', 5 * 1024);
    const waivers = sparse('big/waivers.yaml', 17);
    const rules = join(dir, 'big/rules');
    sparse('big/rules/huge.yaml', 2);
    const template = sparse('big/report.hbs', 5);
    const run = await cli(['check', snapshot, '--waivers', waivers, '--rules', rules]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${rules}/huge.yaml: rule file is 2.0 MiB: trailguard reads a rule file of at most 1.0 MiB [input-too-large]`,
      `${snapshot}: snapshot is 5120 MiB: trailguard reads a snapshot of at most 4096 MiB; collect the account in parts (--regions) and check the snapshots together [input-too-large]`,
      `${waivers}: waivers file is 17 MiB: trailguard reads a waivers file of at most 16 MiB [input-too-large]`,
    ]);
    const templated = await cli(['check', COMPLIANT, '--template', template]);
    expect(templated.stderr).toBe(`${template}: template is 5.0 MiB: trailguard reads a template of at most 4.0 MiB [input-too-large]\n`);
    // Past V8's longest string (512 MiB) a snapshot is read in chunks: these zero bytes are not JSON, said at 1:1.
    const chunked = sparse('big/chunked.json', 600);
    expect(await cli(['check', chunked])).toMatchObject({
      code: 2,
      stderr: `${chunked}:1:1 invalid JSON: expected a JSON value, found "\\u0000" [json-syntax]\n`,
    });
  });
});

describe('duplicate names in JSON inputs', () => {
  it('a snapshot or a results file that repeats a name is refused at the repeat', async () => {
    const snapshot = file(
      'dup/snapshot.json',
      `{"schemaVersion":1,"account":{"id":"${ACCOUNT}","partition":"aws"},"trails":[],"keys":{},\n"trails":[{"Name":"t","TrailARN":"${TRAIL}"}]}`,
    );
    const run = await cli(['check', snapshot]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${snapshot}:2:1 the document holds "trails" twice: JSON readers disagree on which one counts, so trailguard does not read the file [json-duplicate]\n`,
    );
    const results = join(dir, 'dup/results.json');
    await cli(['check', COMPLIANT, '--out', results, '--quiet']);
    writeFileSync(results, readFileSync(results, 'utf8').replace('"failOn": "info",', '"failOn": "info", "failOn": "critical",'));
    const render = await cli(['render', results, '--format', 'csv']);
    expect(render.code).toBe(2);
    expect(render.stderr).toMatch(/results\.json:\d+:\d+ the document holds "failOn" twice: .* \[json-duplicate\]\n$/);
  });
});

describe('templates', () => {
  it.each([
    [
      '{{log "to the console"}}',
      '1:1 template error: unknown helper "log": the helpers are eq, md, fence, rich, richMd, json, join, isHttps, wrap, chunks',
    ],
    ['a\n  {{> partial}}', '2:3 template error: partials ({{> …}}) are not available in templates'],
    ['a\n{{#each}}x{{/each}}', '2:1 template error: each needs 1 argument'],
    ['{{lookup}}', '1:1 template error: lookup needs 2 arguments'],
    ['x {{md}}', '1:3 template error: md needs 1 argument'],
  ])('%j fails at its line and column, with nothing written', async (source, where) => {
    const template = file(`templates/${Buffer.from(source).toString('hex').slice(0, 20)}.hbs`, source);
    const out = join(dir, 'templates/out.txt');
    const run = await cli(['check', COMPLIANT, '--template', template, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${template}:${where} [template]\n`);
    expect(spawnSync('test', ['-e', out]).status).not.toBe(0);
  });
});

describe('control characters from a snapshot', () => {
  const hostile = `evil${ESC}]0;owned${ESC}\\${CSI}2J\u0007\u0001\ud800`;
  let snapshot: string;
  beforeAll(() => {
    snapshot = file(
      'controls/snapshot.json',
      JSON.stringify({
        schemaVersion: 1,
        account: { id: ACCOUNT, partition: 'aws' },
        trails: [{ Name: hostile.slice(0, 30), TrailARN: TRAIL, S3BucketName: 'b' }],
        keys: {},
      }),
    );
  });

  it.each(['csv', 'markdown', 'html', 'json', 'sarif', 'junit'])('never reach the terminal raw in %s', async (format) => {
    const run = await cli(['check', snapshot, '--format', format]);
    expect(run.code).toBe(1);
    expect(hasRawControls(run.stdout)).toBe(false);
    expect(run.stdout).toContain('evil\\u001b');
    if (format === 'junit') expect(XMLValidator.validate(run.stdout)).toBe(true);
    if (format === 'json' || format === 'sarif') {
      // The escapes are JSON's own: the data is unchanged.
      const parsed = JSON.stringify(JSON.parse(run.stdout));
      expect(parsed).toContain('evil\\u001b]0;owned\\u001b\\\\\u009b2J');
    }
  });

  it('never reach the terminal raw from explain', async () => {
    const run = await cli(['explain', snapshot, '--rule', 'cloudtrail-sse-kms', '--resource', TRAIL]);
    expect(run.code).toBe(0);
    expect(hasRawControls(run.stdout)).toBe(false);
    expect(run.stdout).toContain('evil\\u001b]0;owned');
  });
});

describe('pipes', () => {
  it('check … | head ends quietly with exit 0, whatever the size of the output', async () => {
    const snapshot = join(dir, 'pipes/10k.json');
    mkdirSync(join(dir, 'pipes'));
    await generateSnapshot(snapshot, scaled(10_000, 3000));
    const bin = join(ROOT, 'dist', 'cli', 'main.js');
    for (const out of [[], ['--out', '/dev/stdout']]) {
      const shell = `${JSON.stringify(process.execPath)} ${bin} check ${snapshot} --quiet ${out.join(' ')} | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const run = spawnSync('bash', ['-c', shell], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('0\n');
    }
  }, 60_000);
});

describe('what must stay linear', () => {
  it('100,000 waiver globs: a finding is compared only with the waivers that name its account', () => {
    const patterns = Array.from({ length: 100_000 }, (_, i) => `arn:aws:cloudtrail:*:${String(100000000000 + i)}:trail/*`);
    const index = new PatternIndex([...patterns, '*', 'arn:aws:cloudtrail:us-east-1:100000000007:trail/exact'], (p) => p);
    expect(index.candidates('arn:aws:cloudtrail:eu-west-1:100000000007:trail/main')).toEqual([
      'arn:aws:cloudtrail:*:100000000007:trail/*',
      '*',
    ]);
    expect(index.candidates('arn:aws:cloudtrail:us-east-1:100000000007:trail/exact')).toEqual([
      'arn:aws:cloudtrail:*:100000000007:trail/*',
      '*',
      'arn:aws:cloudtrail:us-east-1:100000000007:trail/exact',
    ]);
    // A field with a wildcard in it is never used to file a pattern.
    expect(
      new PatternIndex(['arn:aws:cloudtrail:*:1000*:trail/x?y'], (p) => p).candidates('arn:aws:cloudtrail:us-east-1:100012:trail/xzy'),
    ).toHaveLength(1);
  });

  it('a per-value operator over the whole snapshot runs once per snapshot, not once per trail', async () => {
    const regex = OPERATORS.get('regex') as ValueOperator;
    const original = regex.compile.bind(regex);
    let calls = 0;
    const compile = vi.spyOn(regex, 'compile').mockImplementation((options, context) => {
      const inner = original(options, context);
      return (value, scope, run) => {
        calls++;
        return inner(value, scope, run);
      };
    });
    const snapshot = join(dir, 'linear/snapshot.json');
    mkdirSync(join(dir, 'linear'));
    await generateSnapshot(snapshot, 200);
    file(
      'linear/rules/every-value.yaml',
      `id: every-value\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\nassert:\n  - { path: "snapshot..*", op: regex, pattern: "^[^<]*$" }\n`,
    );
    try {
      const check = await prepareCheck({ snapshots: [snapshot], rules: [join(dir, 'linear/rules')], builtIn: false });
      const findings = [...check.stream().findings];
      expect(findings).toHaveLength(200);
      // Each value of the snapshot is tested once in all: 200 trails did not make it 200 times.
      expect(calls).toBe(descendants(JSON.parse(readFileSync(snapshot, 'utf8'))));
    } finally {
      compile.mockRestore();
    }
  });
});

/** How many values `..*` selects: every value below the document. */
function descendants(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return Object.values(value).reduce((n: number, child) => n + 1 + descendants(child), 0);
}
