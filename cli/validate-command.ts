import type { Argv } from 'yargs';
import {
  BUILTIN_PACK_DIR,
  combineErrors,
  formatDiagnostic,
  loadPackTests,
  loadRulePacksChecked,
  sortDiagnostics,
  terminalSafeLines,
  unusedExpectations,
} from '../engine/index.js';
import { ALLOW_OUTSIDE_PACK } from './rule-options.js';

export interface ValidateArgs {
  readonly paths: readonly string[];
  readonly params: string | undefined;
  readonly allowOutsidePack: boolean;
}

export function validateBuilder(yargs: Argv): Argv<ValidateArgs> {
  return yargs
    .positional('paths', { type: 'string', array: true, describe: 'rule pack folders or rule files (default: the built-in pack)' })
    .option('allow-outside-pack', ALLOW_OUTSIDE_PACK)
    .option('params', {
      type: 'string',
      describe: 'also check this parameter file ({ <rule-id>: { <param>: value } }) against the rules',
    }) as unknown as Argv<ValidateArgs>;
}

/**
 * `trailguard validate`: load every rule file, pack.yaml and rules' tests file, and report every problem of every
 * file at once (exit 2), or what was checked (exit 0).
 */
export async function runValidate(args: ValidateArgs): Promise<number> {
  const paths = args.paths.length === 0 ? [BUILTIN_PACK_DIR] : args.paths;
  const { packs, failure: rules } = await loadRulePacksChecked(paths, { params: args.params, allowOutsidePack: args.allowOutsidePack });
  // The tests files are checked even when a rule is not, so one run names every problem.
  const tests = await Promise.allSettled(packs.map((pack) => loadPackTests(pack)));
  // Warnings do not fail the run: names declared and never read, expectations no resource can meet. With errors, the
  // warnings of files without errors are told among them (a file with errors is fixed first: its names may be why).
  const warnings = packs.flatMap((pack, i) => {
    const loaded = tests[i];
    return [...pack.warnings, ...(loaded?.status === 'fulfilled' ? unusedExpectations(pack, loaded.value) : [])];
  });
  const failure = combineErrors([
    ...(rules === undefined ? [] : [rules]),
    ...tests.flatMap((t) => (t.status === 'rejected' ? [t.reason] : [])),
  ]);
  if (failure !== undefined) {
    const failed = new Set(failure.diagnostics.map((d) => d.file));
    throw combineErrors(
      [failure],
      warnings.filter((w) => !failed.has(w.file)),
    );
  }
  for (const warning of sortDiagnostics(warnings)) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const lines = packs.map((pack, i) => {
    const count = (tests[i] as PromiseFulfilledResult<unknown[]>).value.length;
    const rules = `${pack.rules.length} rule${pack.rules.length === 1 ? '' : 's'}`;
    return `ok: ${pack.name} ${pack.version} (${pack.source}): ${rules}, ${count} test${count === 1 ? '' : 's'}`;
  });
  process.stdout.write(`${terminalSafeLines(lines.join('\n'))}\n`);
  return 0;
}
