import type { Argv } from 'yargs';

export interface RuleArgs {
  readonly rules: readonly string[];
  readonly builtin: boolean;
  readonly params: string | undefined;
  readonly allowOutsidePack: boolean;
}

/** Rule packs are untrusted data: their files stay inside the pack unless the user says otherwise. */
export const ALLOW_OUTSIDE_PACK = {
  type: 'boolean',
  default: false,
  describe: "let a pack's files be symbolic links out of it and its tests name snapshots outside it",
} as const;

/** The options that choose the rule packs and their parameter values, shared by `check` and `explain`. */
export function ruleOptions<T>(yargs: Argv<T>): Argv<T & RuleArgs> {
  return yargs
    .option('rules', { type: 'string', array: true, default: [], describe: 'a rule pack folder or rule file to run as well (repeatable)' })
    .option('builtin', {
      type: 'boolean',
      default: true,
      describe: 'run the built-in cis-cloudtrail-kms pack (--no-builtin: only --rules)',
    })
    .option('allow-outside-pack', ALLOW_OUTSIDE_PACK)
    .option('params', {
      type: 'string',
      describe: 'a YAML file of rule parameter values: { <rule-id>: { <param>: value } } (over pack.yaml and defaults)',
    }) as unknown as Argv<T & RuleArgs>;
}
