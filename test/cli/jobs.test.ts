import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHUNK } from '../../engine/evaluate/parallel.js';
import { cli, resultsOf, tempDir } from '../helpers/cli.js';

// check --jobs: findings evaluated by worker threads come back in order, so every format is the same bytes as with
// one thread. The snapshot has chunks enough for each worker to get several, findings of every status, keys first
// used in different chunks, a second rule group (the custom pack's keys), a waiver, and a rule that reads the
// snapshot's trail list (which workers do not hold: the main thread evaluates those chunks).

const FORMATS = ['json', 'markdown', 'markdown-full', 'html', 'sarif', 'junit', 'csv', 'asff', 'ocsf'];
/** The run's time, which every format prints: the one thing two runs may differ in. */
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

let snapshot: string;
let waivers: string;

beforeAll(() => {
  const dir = tempDir();
  const example = JSON.parse(readFileSync('examples/non-compliant/snapshot.json', 'utf8')) as {
    trails: Record<string, unknown>[];
    keys: Record<string, { metadata: Record<string, unknown> }>;
  };
  const [modelArn, modelKey] = Object.entries(example.keys)[0] as [string, { metadata: Record<string, unknown> }];
  const keys = { ...example.keys };
  const trails = Array.from({ length: 3 * CHUNK + 17 }, (_, i) => {
    const model = example.trails[i % example.trails.length] as Record<string, unknown>;
    const name = `${String(model.Name)}-${i}`;
    const trail = { ...model, Name: name, TrailARN: String(model.TrailARN).replace(/[^/]+$/, name) };
    if (i % 100 !== 99) return trail;
    // A key of its own, first used in this chunk: the documents must come out in the order findings first use them.
    const id = `1d4b2f6a-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const arn = modelArn.replace(/[^/]+$/, id);
    keys[arn] = { ...modelKey, metadata: { ...modelKey.metadata, KeyId: id, Arn: arn } };
    return { ...trail, KmsKeyId: arn };
  });
  snapshot = join(dir, 'many-trails.json');
  writeFileSync(snapshot, JSON.stringify({ ...example, keys, trails: [...example.trails, ...trails] }));
  waivers = join(dir, 'waivers.yaml');
  writeFileSync(
    waivers,
    '- rule: cloudtrail-sse-kms\n  resource: "arn:aws:cloudtrail:*:222233334444:trail/default-sse-s3-1*"\n  reason: tracked in SEC-9\n  owner: sec@example.com\n  expires: 2099-12-31\n',
  );
});

async function sameBytes(args: readonly string[]) {
  const runs = await Promise.all([1, 2, 3].map((jobs) => cli([...args, '--jobs', String(jobs)])));
  // The run's time differs between runs: as an ISO text, and as OCSF's epoch milliseconds.
  const [one, ...more] = runs.map((r) => ({
    ...r,
    stdout: r.stdout.replace(TIME, 'T').replace(/"(time|created_time)":\d{13}/g, '"$1":0'),
  }));
  expect(one?.code).toBe(1);
  // Every format holds every finding, but the Markdown summary, which is cut to fit a comment.
  expect(one?.stdout.length).toBeGreaterThan(args.includes('markdown') ? 50_000 : 100_000);
  for (const run of more) expect(run).toEqual(one);
  return runs[1]?.stdout ?? '';
}

const statuses = (json: string) =>
  new Set(resultsOf<{ findings: { ruleId: string; status: string }[] }>(json).findings.map((f) => `${f.ruleId} ${f.status}`));

describe('check --jobs', () => {
  it.each(FORMATS)('--format %s: the same bytes with --jobs 1, 2 and 3', async (format) => {
    const out = await sameBytes([
      'check',
      snapshot,
      '--rules',
      'examples/custom-pack',
      // Rules over keys read each key's usedBy, which needs the trail list workers do not hold: the main thread
      // evaluates those chunks, and the bytes stay the same.
      '--rules',
      'examples/audit-pack',
      '--builtin',
      '--waivers',
      waivers,
      '--format',
      format,
    ]);
    if (format === 'json') {
      for (const seen of [
        'cloudtrail-sse-kms waived',
        'cloudtrail-key-policy-decrypt fail',
        'kms-key-not-open-to-everyone pass',
        'trail-key-rotation fail',
        'trail-is-logging unknown',
        'trail-key-no-foreign-decrypt pass',
      ])
        expect(statuses(out)).toContain(seen);
    }
  });

  it('a rule reading the trail list itself (workers do not hold it): the main thread evaluates, the same bytes', async () => {
    const out = await sameBytes(['check', snapshot, '--rules', 'test/fixtures/jobs-pack', '--builtin']);
    expect(statuses(out)).toContain('trail-name-listed pass');
  });

  it.each([
    ['0', '"0"'],
    ['two', '"two"'],
    ['65', '"65"'],
    ['1.5', '"1.5"'],
  ])('--jobs %s: one usage line, exit 2', async (jobs, shown) => {
    const run = await cli(['check', 'examples/compliant/snapshot.json', '--jobs', jobs]);
    expect(run).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `trailguard: --jobs must be a whole number from 1 to 64, found ${shown} [usage]\n`,
    });
  });
});
