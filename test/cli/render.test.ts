import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveResults } from '../../engine/results/references.js';
import { cli, tempDir } from '../helpers/cli.js';

const NON_COMPLIANT = 'examples/non-compliant/snapshot.json';

let dir: string;
let results: string;

beforeAll(async () => {
  dir = tempDir();
  results = join(dir, 'results.json');
  const run = await cli(['check', NON_COMPLIANT, '--out', results, '--quiet']);
  expect(run.code).toBe(1);
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('trailguard render', () => {
  it('re-renders saved results without the snapshots: JSON round-trips byte for byte, other formats agree with check', async () => {
    const json = await cli(['render', results]);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(readFileSync(results, 'utf8'));

    const saved = JSON.parse(readFileSync(results, 'utf8')) as { generatedAt: string; summary: { failing: number; total: number } };
    const markdown = await cli(['render', results, '--format', 'markdown-full']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain(`Generated ${saved.generatedAt} by trailguard`);
    expect(markdown.stdout).toContain(`**${saved.summary.failing}** failing finding(s) of ${saved.summary.total}.`);
  });

  it('renders a custom template over the documented results JSON', async () => {
    const template = write('ids.hbs', '{{#each findings}}{{#if (eq status "fail")}}{{ruleId}} {{resource.name}}\n{{/if}}{{/each}}');
    const out = join(dir, 'ids.txt');
    const run = await cli(['render', results, '--template', template, '--out', out]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines).toContain('cloudtrail-key-policy-decrypt root-only-decrypt');
    expect(lines).toContain('cloudtrail-sse-kms default-sse-s3');
  });

  it('check takes the same --template', async () => {
    const template = write('count.hbs', '{{summary.total}} findings, {{report.missing}} missing call(s)');
    const run = await cli(['check', NON_COMPLIANT, '--template', template, '--quiet']);
    expect(run.stdout).toBe('41 findings, 3 missing call(s)\n'); // 40 of the rules, 1 of the Region not listed; the calls: a key policy, the Region, a trail status
    expect(run.code).toBe(1);
  });

  it.each([
    [
      'an unknown helper',
      'line1\n  {{shout findings}}\n',
      '{file}:2:3 template error: unknown helper "shout": the helpers are eq, md, fence, rich, richMd, json, join, isHttps, wrap, chunks [template]',
    ],
    [
      'a misspelt field (strict mode)',
      '{{#each findings}}\n{{#if fix}}{{fix.sumary}}{{/if}}{{/each}}',
      '{file}:2:14 template error: "sumary" is not a field of the data at this point (templates are strict; see docs/templates.md) [template]',
    ],
    [
      'an unclosed block',
      '{{#each findings}}{{ruleId}}',
      '{file}:1:29 template syntax error: found the end of the template where a block must be closed: a {{#…}} has no matching {{/…}} [template]',
    ],
    [
      'a syntax error',
      'x\n  {{a b=}}',
      '{file}:2:9 template syntax error: found "}}" where Handlebars expected a field name or a value [template]',
    ],
  ])('a template with %s: one located line, exit 2, nothing written', async (_, text, line) => {
    const template = write(`bad-${readdirSync(dir).length}.hbs`, text);
    const out = join(dir, 'never.txt');
    const run = await cli(['render', results, '--template', template, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${line.replace('{file}', template)}\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('reads version 1 results: every format renders from them as from the version 2 file of the same run', async () => {
    // The version 1 document of this run: each finding with its resource and evidence in full, no shared lists.
    const { findings, documents, summary, ...head } = resolveResults(JSON.parse(readFileSync(results, 'utf8')));
    const v1 = write('results-v1.json', `${JSON.stringify({ ...head, resultsVersion: 1, findings, documents, summary }, null, 2)}\n`);
    for (const format of ['json', 'markdown', 'markdown-full', 'html', 'sarif', 'junit', 'csv', 'asff', 'ocsf']) {
      const [fromV1, fromV2] = await Promise.all([cli(['render', v1, '--format', format]), cli(['render', results, '--format', format])]);
      expect(fromV1.code, format).toBe(0);
      expect(fromV1.stdout, format).toBe(fromV2.stdout);
    }
    expect((await cli(['render', v1])).stdout).toBe(readFileSync(results, 'utf8'));
  });

  it('version 2 writes each resource once and shared evidence once; a failing request stays in its finding', async () => {
    // Two trails on one key: judged alike, they share evidence; the key lets only the first generate data keys, so the
    // twin's failing check keeps its own request in its finding.
    const snapshot = JSON.parse(readFileSync('examples/compliant/snapshot.json', 'utf8')) as { trails: Record<string, unknown>[] };
    const [first] = snapshot.trails;
    const twin = { ...first, Name: 'twin', TrailARN: String(first?.TrailARN).replace(/[^/]+$/, 'twin') };
    const file = write('twins.json', JSON.stringify({ ...snapshot, trails: [...snapshot.trails, twin] }));
    const run = await cli(['check', file]);
    const written = JSON.parse(run.stdout) as {
      findings: { resource: number; evidence: unknown }[];
      resources: unknown[];
      evidence: unknown[];
    };
    expect(written.resources).toHaveLength(3);
    expect(written.findings).toHaveLength(15);
    const [own, twins] = [written.findings.slice(0, 5), written.findings.slice(10)].map((f) => f.map((g) => g.evidence));
    expect(twins?.filter((_, i) => i !== 2)).toEqual(own?.filter((_, i) => i !== 2));
    expect(own?.every((e) => typeof e === 'number')).toBe(true);
    expect(JSON.stringify(twins?.[2])).toContain('"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/twin"');
    expect(written.evidence).toHaveLength(10);
    expect(new Set(written.evidence.map((e) => JSON.stringify(e))).size).toBe(10);

    const failing = JSON.parse(readFileSync(results, 'utf8')) as { findings: { evidence: unknown }[]; evidence: unknown[] };
    const inline = failing.findings.filter((f) => typeof f.evidence === 'object');
    expect(inline.length).toBeGreaterThan(0);
    for (const f of inline) expect(JSON.stringify(f.evidence)).toContain('"request":');
    for (const e of failing.evidence) expect(JSON.stringify(e)).not.toContain('"request":');
  });

  it('a reference past the end of its list: located, exit 2', async () => {
    const text = readFileSync(results, 'utf8')
      .replace(/"resource":\d+/, '"resource":99')
      .replace(/"evidence":\d+/, '"evidence":999');
    const dangling = write('dangling.json', text);
    const run = await cli(['render', dangling, '--format', 'markdown']);
    const line = text.split('\n').findIndex((l) => l.includes('"resource":99')) + 1;
    const counts = JSON.parse(text) as { resources: unknown[]; evidence: unknown[] };
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(
      new RegExp(
        `^${dangling}:${line}:\\d+ findings\\[\\d+\\]\\.resource refers to resources\\[99\\], but there are ${counts.resources.length} resources \\[results-schema\\]\n`,
      ),
    );
    expect(run.stderr).toContain(
      `.evidence refers to evidence[999], but there are ${counts.evidence.length} evidence entries [results-schema]`,
    );
  });

  it('bad results files: each problem located, exit 2', async () => {
    const wrong = write('wrong.json', '{\n  "resultsVersion": 1,\n  "tool": 5\n}\n');
    const run = await cli(['render', wrong, '--format', 'html']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      `${wrong}:1:1 (document) is missing the required properties generatedAt, failOn, failOnUnknown, packs, rules, inputs, findings, documents, summary [results-schema]`,
      `${wrong}:3:11 tool must be an object, found number 5 [results-schema]`,
      '',
    ]);

    const broken = write('broken.json', '{\n  "resultsVersion": 1,\n  "tool": \n}\n');
    expect((await cli(['render', broken])).stderr).toBe(`${broken}:4:1 invalid JSON: expected a value, found "}" [json-syntax]\n`);

    const snapshot = await cli(['render', NON_COMPLIANT]);
    expect(snapshot.code).toBe(2);
    expect(snapshot.stderr).toContain(`${NON_COMPLIANT}:1:1 (document) is missing the required properties resultsVersion, tool,`);

    const missing = await cli(['render', join(dir, 'nope.json')]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: `${join(dir, 'nope.json')}: results file not found: no such file [file-not-found]\n`,
    });
  });

  it('usage errors: --format with --template, an unknown format, no results file', async () => {
    const template = write('t.hbs', '{{summary.total}}');
    expect(await cli(['render', results, '--format', 'csv', '--template', template])).toMatchObject({
      code: 2,
      stderr: 'trailguard: give either --format or --template, not both [usage]\n',
    });
    expect((await cli(['render', results, '--format', 'pdf'])).stderr).toBe(
      'trailguard: unknown --format "pdf": expected one of json, markdown, markdown-full, html, sarif, junit, csv, asff, ocsf [usage]\n',
    );
    expect((await cli(['render'])).code).toBe(2);
  });
});
