import type { Argv } from 'yargs';

export interface RuleArgs {
  readonly rules: readonly string[];
  readonly builtin: boolean;
  readonly params: string | undefined;
}

/** The options that choose the rule packs and their parameter values, shared by `check` and `explain`. */
export function ruleOptions<T>(yargs: Argv<T>): Argv<T & RuleArgs> {
  return yargs
    .option('rules', { type: 'string', array: true, default: [], describe: 'a rule pack folder or rule file to run as well (repeatable)' })
    .option('builtin', {
      type: 'boolean',
      default: true,
      describe: 'run the built-in cis-cloudtrail-kms pack (--no-builtin: only --rules)',
    })
    .option('params', {
      type: 'string',
      describe: 'a YAML file of rule parameter values: { <rule-id>: { <param>: value } } (over pack.yaml and defaults)',
    }) as unknown as Argv<T & RuleArgs>;
}
