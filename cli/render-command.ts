import type { Argv } from 'yargs';
import { loadResults, streamOf } from '../engine/index.js';
import { chooseFormatter, type OutputArgs, outputOptions } from './output-options.js';
import { prepareOutput, writeOutput } from './write-output.js';

export interface RenderArgs extends OutputArgs {
  readonly results: string;
}

export function renderBuilder(yargs: Argv): Argv<RenderArgs> {
  return outputOptions(yargs).positional('results', {
    type: 'string',
    describe: 'a results file written by check --format json',
  }) as unknown as Argv<RenderArgs>;
}

/** `trailguard render`: re-render saved results without the snapshots (evidence regenerated from the archive). */
export async function runRender(args: RenderArgs): Promise<number> {
  const { formatter, options } = await chooseFormatter(args);
  const target = await prepareOutput(args.out, [args.results, ...(args.template === undefined ? [] : [args.template])]);
  const results = await loadResults(args.results);
  await writeOutput(formatter.format(streamOf(results), options), target);
  return 0;
}
