import type { Argv } from 'yargs';
import {
  checkTemplate,
  customTemplateFormatter,
  FORMATS,
  type FormatOptions,
  type Formatter,
  readTextFile,
  TrailguardError,
} from '../engine/index.js';

export interface OutputArgs {
  readonly format: string | undefined;
  readonly template: string | undefined;
  readonly out: string | undefined;
}

/** The output options `check` and `render` share. */
export function outputOptions<T>(yargs: Argv<T>): Argv<T & OutputArgs> {
  return yargs
    .option('format', { type: 'string', describe: `output format: ${[...FORMATS.keys()].join(', ')} (default json)` })
    .option('template', { type: 'string', describe: 'render this Handlebars template over the results instead of a --format' })
    .option('out', { type: 'string', describe: 'write to this file (atomically) instead of standard output' }) as unknown as Argv<
    T & OutputArgs
  >;
}

/** The formatter the options ask for, with a user's template read in. */
export async function chooseFormatter(args: OutputArgs): Promise<{ formatter: Formatter; options: FormatOptions }> {
  if (args.template !== undefined) {
    if (args.format !== undefined) throw usage('give either --format or --template, not both');
    const { text } = await readTextFile(args.template, 'template');
    checkTemplate(text, args.template);
    return { formatter: customTemplateFormatter, options: { template: { source: text, file: args.template } } };
  }
  const name = args.format ?? 'json';
  const formatter = FORMATS.get(name);
  if (formatter === undefined) throw usage(`unknown --format ${JSON.stringify(name)}: expected one of ${[...FORMATS.keys()].join(', ')}`);
  return { formatter, options: {} };
}

function usage(message: string): TrailguardError {
  return new TrailguardError({ code: 'usage', message });
}
