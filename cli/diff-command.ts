import type { Argv } from 'yargs';
import { DIFF_FORMATS, type DiffFormat, diffResults, formatDiff, loadResults, TrailguardError } from '../engine/index.js';
import { prepareOutput, writeOutput } from './write-output.js';

export interface DiffArgs {
  readonly before: string;
  readonly after: string;
  readonly format: string;
  readonly out: string | undefined;
}

export function diffBuilder(yargs: Argv): Argv<DiffArgs> {
  return yargs
    .positional('before', { type: 'string', describe: 'the earlier results file (check --format json)' })
    .positional('after', { type: 'string', describe: 'the later results file' })
    .option('format', { type: 'string', default: 'markdown', describe: `output format: ${DIFF_FORMATS.join(', ')}` })
    .option('out', { type: 'string', describe: 'write to this file (atomically) instead of standard output' }) as unknown as Argv<DiffArgs>;
}

/**
 * `trailguard diff BEFORE AFTER`: what changed between two checks of the same estate — findings newly failing,
 * resolved, still failing or otherwise changed, resources and keys added or removed, and each key policy's statements
 * added and removed. Exit 1 when something newly fails.
 */
export async function runDiff(args: DiffArgs): Promise<number> {
  if (!(DIFF_FORMATS as readonly string[]).includes(args.format)) {
    throw new TrailguardError({
      code: 'usage',
      message: `unknown --format ${JSON.stringify(args.format)} for diff: expected one of ${DIFF_FORMATS.join(', ')}`,
    });
  }
  const target = await prepareOutput(args.out, [args.before, args.after]);
  const [before, after] = await Promise.all([loadResults(args.before), loadResults(args.after)]);
  const diff = diffResults(before, after);
  await writeOutput([formatDiff(diff, args.format as DiffFormat, { before: args.before, after: args.after })], target);
  return diff.newlyFailing.length > 0 ? 1 : 0;
}
