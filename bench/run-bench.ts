import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSnapshot } from './generate-snapshot.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const work = join(root, 'bench', 'out');
const cliPath = join(root, 'dist', 'cli', 'main.js');
const baselinePath = join(here, 'baseline.js');
const preload = join(here, 'report-usage.js');

interface Sample {
  readonly seconds: number;
  readonly peakMb: number;
}

/** Runs a node script and returns its wall time and peak RSS; the median of `runs` by time. */
function measure(args: readonly string[], runs: number, expectExit: readonly number[]): Sample {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const usage = join(work, 'usage.json');
    const start = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--import', preload, ...args], {
      env: { ...process.env, TRAILGUARD_BENCH_USAGE: usage },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (!expectExit.includes(child.status ?? -1)) throw new Error(`${args.join(' ')} exited ${child.status}: ${child.stderr.toString()}`);
    const { maxRssKb } = JSON.parse(readFileSync(usage, 'utf8')) as { maxRssKb: number };
    samples.push({ seconds, peakMb: maxRssKb / 1024 });
  }
  samples.sort((a, b) => a.seconds - b.seconds);
  return samples[Math.floor(samples.length / 2)] as Sample;
}

/** The summary's total from a results file too large to parse whole: the summary is written last. */
function summaryTotal(file: string): number {
  const size = statSync(file).size;
  const tail = Buffer.alloc(Math.min(size, 64 * 1024));
  const fd = openSync(file, 'r');
  readSync(fd, tail, 0, tail.length, size - tail.length);
  closeSync(fd);
  const match = /"summary": \{\s*"total": (\d+)/.exec(tail.toString('utf8'));
  return match === null ? Number.NaN : Number(match[1]);
}

const sizes = (process.env.TRAILGUARD_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const runs = Number(process.env.TRAILGUARD_BENCH_RUNS ?? 3);
const targets = { time: 2, memory: 3 };
/** Sizes whose results are also rendered as reports (an evidence report is read by people: 10k trails is the scale). */
const reportSizes = (process.env.TRAILGUARD_BENCH_REPORT_SIZES ?? '1000,10000').split(',').map(Number);
const kept = new Map<number, string>();
mkdirSync(work, { recursive: true });
console.log(`trailguard benchmark: check --format json against read + JSON.parse of the same file (median of ${runs} runs)`);
console.log('trails   snapshot  baseline s  check s  time ×  baseline MB  check MB  memory ×  findings/s');
let failed = false;
for (const trails of sizes) {
  const snapshot = join(work, `snapshot-${trails}.json`);
  await generateSnapshot(snapshot, trails);
  const base = measure([baselinePath, snapshot], runs, [0]);
  const out = join(work, `results-${trails}.json`);
  const check = measure([cliPath, 'check', snapshot, '--format', 'json', '--out', out, '--quiet'], runs, [0, 1]);
  const findings = summaryTotal(out);
  const time = check.seconds / base.seconds;
  const memory = check.peakMb / base.peakMb;
  const mb = (statSync(snapshot).size / 1e6).toFixed(1);
  console.log(
    `${String(trails).padStart(6)}  ${mb.padStart(6)} MB  ${base.seconds.toFixed(2).padStart(10)}  ${check.seconds.toFixed(2).padStart(7)}  ${time.toFixed(2).padStart(6)}  ${base.peakMb.toFixed(0).padStart(11)}  ${check.peakMb.toFixed(0).padStart(8)}  ${memory.toFixed(2).padStart(8)}  ${Math.round(
      findings / check.seconds,
    )
      .toString()
      .padStart(10)}`,
  );
  if (trails >= 100_000 && (time > targets.time || memory > targets.memory)) failed = true;
  if (reportSizes.includes(trails)) kept.set(trails, out);
  else rmSync(out, { force: true });
}
const verdict = !sizes.some((n) => n >= 100_000) ? ': not measured (no size of 100k trails or more)' : failed ? ': NOT MET' : ': met';
console.log(`targets at 100k trails: time × ≤ ${targets.time}, memory × ≤ ${targets.memory}${verdict}`);

// Reports: `render` of saved results against read + JSON.parse of the same results file, and the report's size.
console.log('');
console.log(`reports: render RESULTS --format F against read + JSON.parse of the results file (median of ${runs} runs)`);
console.log('trails  format    results  baseline s  render s  time ×  report MB  KB/trail  render MB');
for (const [trails, results] of kept) {
  const base = measure([baselinePath, results], runs, [0]);
  for (const [format, extension] of [
    ['html', 'html'],
    ['markdown', 'md'],
  ] as const) {
    const report = join(work, `report-${trails}.${extension}`);
    const render = measure([cliPath, 'render', results, '--format', format, '--out', report], runs, [0]);
    const size = statSync(report).size;
    console.log(
      `${String(trails).padStart(6)}  ${format.padEnd(8)}  ${(statSync(results).size / 1e6).toFixed(1).padStart(4)} MB  ${base.seconds.toFixed(2).padStart(10)}  ${render.seconds.toFixed(2).padStart(8)}  ${(render.seconds / base.seconds).toFixed(2).padStart(6)}  ${(size / 1e6).toFixed(1).padStart(9)}  ${(size / 1024 / trails).toFixed(2).padStart(8)}  ${render.peakMb.toFixed(0).padStart(9)}`,
    );
    rmSync(report, { force: true });
  }
  rmSync(results, { force: true });
}
if (failed) process.exitCode = 1;
