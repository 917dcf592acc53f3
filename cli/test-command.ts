import type { Argv } from 'yargs';
import { BUILTIN_PACK_DIR, runRuleTests, terminalSafeLines } from '../engine/index.js';
import { ALLOW_OUTSIDE_PACK } from './rule-options.js';

export interface TestArgs {
  readonly paths: readonly string[];
  readonly requireTests: boolean;
  readonly requireCoverage: boolean;
  readonly allowOutsidePack: boolean;
}

export function testBuilder(yargs: Argv): Argv<TestArgs> {
  return yargs
    .positional('paths', { type: 'string', array: true, describe: 'rule pack folders or rule files (default: the built-in pack)' })
    .option('allow-outside-pack', ALLOW_OUTSIDE_PACK)
    .option('require-tests', { type: 'boolean', default: false, describe: 'fail for every rule that has no <rule-id>.tests.yaml' })
    .option('require-coverage', {
      type: 'boolean',
      default: false,
      describe: 'fail for every rule whose tests leave an assertion never true or never false, or a status never given',
    }) as unknown as Argv<TestArgs>;
}

/** `trailguard test`: run the tests beside each rule; one line per test, coverage per rule, `N passed, N failed`. */
export async function runTest(args: TestArgs): Promise<number> {
  const run = await runRuleTests(args.paths.length === 0 ? [BUILTIN_PACK_DIR] : args.paths, { allowOutsidePack: args.allowOutsidePack });
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const outcome of run.outcomes) {
    const ok = outcome.problems.length === 0;
    if (ok) passed++;
    else failed++;
    lines.push(`${ok ? 'PASS' : 'FAIL'} ${outcome.ruleId} › ${outcome.name} (${outcome.at})`);
    for (const problem of outcome.problems) lines.push(`     ${problem}`);
  }
  for (const { ruleId, file } of run.untested) {
    if (args.requireTests) {
      failed++;
      lines.push(`FAIL ${ruleId} has no tests: write them in ${file}`);
    } else {
      lines.push(`note: ${ruleId} has no tests (${file})`);
    }
  }
  for (const c of run.coverage) {
    const gave = `${c.tests} test${c.tests === 1 ? '' : 's'}, gave ${c.statuses.join(', ')}`;
    if (c.gaps.length === 0) {
      lines.push(`coverage ${c.ruleId}: ${gave}; every assertion seen true and false`);
      continue;
    }
    if (args.requireCoverage) failed++;
    lines.push(`${args.requireCoverage ? 'FAIL ' : ''}coverage ${c.ruleId}: ${gave}; ${c.gaps.join('; ')}`);
  }
  lines.push(`${passed} passed, ${failed} failed`);
  process.stdout.write(`${terminalSafeLines(lines.join('\n'))}\n`);
  return failed > 0 ? 1 : 0;
}
