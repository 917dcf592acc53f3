import type { Argv } from 'yargs';
import { type ImportOptions, loadParameters } from '../engine/index.js';

export interface ImportArgs {
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly parameters: readonly string[];
  readonly stackName: string | undefined;
}

/** The options that settle CloudFormation templates and Terraform plans given as inputs (`check`, `fix`, `import`). */
export function importOptions<T>(yargs: Argv<T>): Argv<T & ImportArgs> {
  return yargs
    .option('account', { type: 'string', describe: 'for templates and plans: the 12-digit account id they would be deployed in' })
    .option('region', { type: 'string', describe: 'for templates and plans: the Region they would be deployed in' })
    .option('parameters', {
      type: 'string',
      array: true,
      default: [],
      describe: 'template parameter values: a JSON/YAML file ({NAME: VALUE}, or the AWS CLI list) or NAME=VALUE (repeatable)',
    })
    .option('stack-name', {
      type: 'string',
      describe: "for templates: the stack name (AWS::StackName; default: the file's name)",
    }) as unknown as Argv<T & ImportArgs>;
}

/** The engine's import options from the command line's. */
export async function importSettings(args: ImportArgs): Promise<ImportOptions> {
  return {
    account: args.account,
    region: args.region,
    parameters: await loadParameters(args.parameters),
    stackName: args.stackName,
  };
}
