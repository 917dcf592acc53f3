import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
import { cli, ROOT, tempDir } from '../helpers/cli.js';

const LIMIT = 65_536;
let big: string;

beforeAll(() => {
  // 3,000 copies of the non-compliant example's trails: thousands of failures, far more than a comment holds.
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/non-compliant/snapshot.json'), 'utf8')) as {
    trails: Record<string, unknown>[];
  };
  const trails = Array.from({ length: 3000 }, (_, i) => {
    const model = example.trails[i % example.trails.length] as Record<string, unknown>;
    return {
      ...model,
      Name: `${String(model.Name)}-${i}`,
      TrailARN: String(model.TrailARN).replace(/[^/]+$/, `${String(model.Name)}-${i}`),
    };
  });
  big = join(tempDir(), 'big.json');
  writeFileSync(big, JSON.stringify({ ...example, trails }));
});

describe('--format markdown: a summary that fits a GitHub comment', () => {
  it('stays under 65,536 characters for thousands of failures, failing resources first, and says what it left out', async () => {
    const run = await cli(['check', big, '--format', 'markdown']);
    expect(run.code).toBe(1);
    expect([...run.stdout].length).toBeLessThanOrEqual(LIMIT);
    expect(run.stdout).toMatch(/^# Evidence report: CloudTrail logs encrypted at rest using KMS CMKs\n/);
    expect(run.stdout).toContain('> **Fails**: 3750 finding(s) fail the run');
    const rows = run.stdout.split('\n').filter((l) => /^\| [^-R]/.test(l) && !l.startsWith('| Resource'));
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.slice(0, 50).every((l) => l.includes(' fail |'))).toBe(true);
    expect(run.stdout).toMatch(
      /\nCut to fit a comment: \d+ more resource\(s\) needing attention and \d+ more failing finding\(s\) are not shown\. The full report: `trailguard render RESULTS\.json --format markdown-full`/,
    );
  });

  it("fits for the benchmark's 100k-trail snapshot too", async () => {
    const snapshot = join(tempDir(), 'snapshot-100k.json');
    await generateSnapshot(snapshot, 100_000);
    const run = await cli(['check', snapshot, '--format', 'markdown']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('> **Fails**: 27500 finding(s) fail the run');
    expect([...run.stdout].length).toBeLessThanOrEqual(LIMIT);
    expect([...run.stdout].length).toBeGreaterThan(LIMIT * 0.8);
    // A size test, not a timed one: 100k trails take about 30 s alone and up to twice that beside other suites on
    // two cores; the timeout only stops a run that hangs.
  }, 300_000);

  it('twin: a small estate is shown whole, and says so; markdown-full keeps every finding', async () => {
    const run = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'markdown']);
    expect(run.stdout).toContain('\nEverything that needs attention is above.');
    expect(run.stdout.match(/^### /gm)?.length).toBe(10);
    const full = await cli(['check', big, '--format', 'markdown-full']);
    expect([...full.stdout].length).toBeGreaterThan(LIMIT);
  });
});
