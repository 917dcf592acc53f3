import type { Argv } from 'yargs';
import { importPlan, importTemplates, inMemorySnapshot, TrailguardError } from '../engine/index.js';
import { type ImportArgs, importOptions, importSettings } from './import-options.js';
import { prepareOutput, writeOutput } from './write-output.js';

export interface ImportCommandArgs extends ImportArgs {
  readonly kind: string;
  readonly files: readonly string[];
  readonly out: string | undefined;
}

const KINDS = ['cloudformation', 'terraform-plan'] as const;

export function importBuilder(yargs: Argv): Argv<ImportCommandArgs> {
  return importOptions(
    yargs
      .positional('kind', { type: 'string', describe: `what the files are: ${KINDS.join(' or ')}` })
      .positional('files', {
        type: 'string',
        array: true,
        describe: 'CloudFormation templates (JSON or YAML), or one plan (terraform show -json)',
      })
      .option('out', { type: 'string', describe: 'write the snapshot to this file (atomically) instead of standard output' }),
  ) as unknown as Argv<ImportCommandArgs>;
}

/**
 * `trailguard import cloudformation TEMPLATE... | terraform-plan PLAN.json`: a snapshot of what the files would
 * deploy, checked like any snapshot. Values the files do not settle are written as `<unresolved: NAME>` and listed
 * in `collection.unresolved`; each trail's and key's file position is in `locations`.
 */
export async function runImport(args: ImportCommandArgs): Promise<number> {
  if (!(KINDS as readonly string[]).includes(args.kind))
    throw new TrailguardError({
      code: 'usage',
      message: `unknown import kind ${JSON.stringify(args.kind)}: expected ${KINDS.join(' or ')}`,
    });
  if (args.files.length === 0) throw new TrailguardError({ code: 'usage', message: `import ${args.kind} needs at least one file` });
  if (args.kind === 'terraform-plan' && args.files.length > 1)
    throw new TrailguardError({
      code: 'usage',
      message: 'import terraform-plan reads one plan: import each plan to its own snapshot and check them together',
    });
  const target = await prepareOutput(args.out, args.files);
  const settings = await importSettings(args);
  const result =
    args.kind === 'cloudformation' ? await importTemplates(args.files, settings) : await importPlan(args.files[0] as string, settings);
  if (result.document === undefined) throw new TrailguardError([...result.diagnostics]);
  // Validated as a snapshot file would be, so what is written always loads.
  inMemorySnapshot(result.document, args.files[0]);
  await writeOutput([`${JSON.stringify(result.document, null, 2)}\n`], target);
  const unresolved = result.document.collection?.unresolved?.length ?? 0;
  if (unresolved > 0 && args.out !== undefined)
    process.stderr.write(
      `trailguard: ${unresolved} value${unresolved === 1 ? '' : 's'} the files do not settle: the verdicts that need them will be unknown (see collection.unresolved)\n`,
    );
  return 0;
}
