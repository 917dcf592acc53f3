import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { TrailguardError } from '../../engine/core/errors.js';
import { FORMATS } from '../../engine/render/formats.js';
import { loadRulePacks } from '../../engine/rules/load-rules.js';
import { prepareCheck } from '../../engine/run-check.js';
import { cli, ROOT, tempDir } from '../helpers/cli.js';
import { type Json, mutate, mutations, textMutation } from '../helpers/json-mutations.js';
import { scaled } from '../helpers/scale.js';

/**
 * Seeded fuzzing: thousands of random mutations of valid snapshots and rules go through check and validate. Every
 * run must end as a result (exit 0 or 1) or as bad input (TrailguardError, exit 2); anything else — an uncaught
 * exception, which the CLI would report as an internal error — fails, and fast-check shrinks it to a small case.
 * TRAILGUARD_FUZZ_SEED and TRAILGUARD_FUZZ_RUNS explore further; a failure prints the seed and path that reproduce it.
 */
const SEED = Number(process.env.TRAILGUARD_FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.TRAILGUARD_FUZZ_RUNS ?? scaled(1500, 150));

function mutateText(text: string, m: readonly [number, string, string] | undefined): string {
  if (m === undefined || text.length === 0) return text;
  const [at, kind, insert] = m;
  const i = at % text.length;
  if (kind === 'truncate') return text.slice(0, i);
  if (kind === 'insert') return text.slice(0, i) + insert + text.slice(i);
  return text.slice(0, i) + text.slice(i + 1 + (at % 7));
}

/** The mutant as YAML; the yaml library cannot write one nested thousands deep, so that one goes as JSON (also YAML). */
function yamlText(value: Json): string {
  try {
    return toYaml(value);
  } catch (error) {
    if (error instanceof RangeError) return JSON.stringify(value);
    throw error;
  }
}

/** Runs a check the way the CLI does (results written in full); a TrailguardError is exit 2, anything else a bug. */
async function outcome(run: () => Promise<void>): Promise<'ok' | 'bad-input'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof TrailguardError) {
      for (const d of error.diagnostics) expect(d.message.length, 'a one-line message').toBeGreaterThan(0);
      return 'bad-input';
    }
    throw error;
  }
}

async function checkAll(snapshots: readonly string[], rules: readonly string[] = [], builtIn = true): Promise<void> {
  const check = await prepareCheck({ snapshots, rules, builtIn, now: new Date('2026-11-29T00:00:00Z') });
  for (const format of ['json', 'html']) {
    const stream = format === 'json' ? check.stream() : check.stream();
    for (const _ of (FORMATS.get(format) as NonNullable<ReturnType<typeof FORMATS.get>>).format(stream, {})) {
      // consumed: every finding evaluated and rendered
    }
  }
}

const snapshots = [
  'compliant/snapshot.json',
  'non-compliant/snapshot.json',
  'organisation/member-snapshot.json',
  'organisation/log-archive-snapshot.json',
].map((f) => JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')) as Json);
const ruleFiles = [
  ...readdirSync(join(ROOT, 'rules', 'cis-cloudtrail-kms')).map((f) => join(ROOT, 'rules', 'cis-cloudtrail-kms', f)),
  ...readdirSync(join(ROOT, 'examples', 'custom-pack')).map((f) => join(ROOT, 'examples', 'custom-pack', f)),
]
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('pack.yaml') && !f.endsWith('.tests.yaml'))
  .map((f) => ({ name: f.slice(f.lastIndexOf('/') + 1), text: readFileSync(f, 'utf8') }));

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

describe('fuzzing (seeded, reproducible)', () => {
  it(`${RUNS} mutated snapshots: check ends with results or a located bad-input error, never an uncaught exception`, async () => {
    const seen = { ok: 0, 'bad-input': 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat(snapshots.length - 1), mutations, textMutation, async (base, ops, text) => {
        const mutated = mutate(snapshots[base] as Json, ops);
        // One file, written over for each mutant: the seed reproduces any of them, and thousands of files left for
        // the end to remove outlast a hook's time on a busy machine.
        const path = join(dir, 'snapshot.json');
        writeFileSync(path, mutateText(JSON.stringify(mutated), text));
        seen[await outcome(() => checkAll([path]))]++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(seen.ok).toBeGreaterThan(RUNS / 20);
    expect(seen['bad-input']).toBeGreaterThan(RUNS / 20);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 240_000);

  it(`${RUNS} mutated rules: validate and check end with results or located errors, never an uncaught exception`, async () => {
    const seen = { ok: 0, 'bad-input': 0 };
    const snapshot = join(ROOT, 'examples', 'non-compliant', 'snapshot.json');
    await fc.assert(
      fc.asyncProperty(fc.nat(ruleFiles.length - 1), mutations, textMutation, async (which, ops, text) => {
        const { name, text: source } = ruleFiles[which] as { name: string; text: string };
        const { parse } = await import('yaml');
        const mutated = mutate(parse(source) as Json, ops);
        const pack = join(dir, 'pack');
        rmSync(pack, { recursive: true, force: true });
        mkdirSync(pack);
        writeFileSync(join(pack, name), mutateText(yamlText(mutated), text));
        const result = await outcome(async () => {
          await loadRulePacks([pack]);
          await checkAll([snapshot], [pack], false);
        });
        seen[result]++;
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
    expect(seen.ok).toBeGreaterThan(RUNS / 20);
    expect(seen['bad-input']).toBeGreaterThan(RUNS / 20);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 240_000);

  it('a sample of mutants through the real CLI: exit 0, 1 or 2, and no stack trace', async () => {
    const samples = fc.sample(fc.tuple(fc.nat(snapshots.length - 1), mutations, textMutation), { seed: SEED + 2, numRuns: scaled(24, 6) });
    const codes = new Set<number>();
    for (const [base, ops, text] of samples) {
      const path = join(dir, 'cli.json');
      writeFileSync(path, mutateText(JSON.stringify(mutate(snapshots[base] as Json, ops)), text));
      const run = await cli(['check', path, '--format', 'markdown']);
      expect([0, 1, 2], run.stderr).toContain(run.code);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
      if (run.code === 2)
        expect(
          run.stderr
            .trimEnd()
            .split('\n')
            .every((l) => / \[[a-z-]+\]$/.test(l)),
        ).toBe(true);
      codes.add(run.code);
    }
    expect(codes.size).toBeGreaterThan(1);
  }, 120_000);
});
