import type { Argv } from 'yargs';
import { prepareCheck, SEVERITIES, type Severity, TrailguardError, terminalSafe } from '../engine/index.js';
import { type ImportArgs, importOptions, importSettings } from './import-options.js';
import { chooseFormatter, type OutputArgs, outputOptions } from './output-options.js';
import { type RuleArgs, ruleOptions } from './rule-options.js';
import { describeSummary } from './summary-line.js';
import { prepareOutput, writeOutput } from './write-output.js';

export interface CheckArgs extends OutputArgs, RuleArgs, ImportArgs {
  readonly snapshots: readonly string[];
  readonly waivers: string | undefined;
  readonly failOn: string;
  readonly failOnUnknown: boolean;
  readonly quiet: boolean;
  readonly jobs: string;
}

/** The most worker threads `--jobs` starts. */
const MAX_JOBS = 64;

export function checkBuilder(yargs: Argv): Argv<CheckArgs> {
  return importOptions(ruleOptions(outputOptions(yargs)))
    .positional('snapshots', {
      type: 'string',
      array: true,
      describe: 'snapshot files (one per account; keys are looked up across all), CloudFormation templates or Terraform plans',
    })
    .option('waivers', {
      type: 'string',
      describe: 'a YAML list of exceptions {rule, resource (id or glob), reason, owner, expires}: matching findings become waived',
    })
    .option('fail-on', {
      type: 'string',
      default: 'info',
      describe: `exit 1 when a finding fails at or above this severity: ${SEVERITIES.join(', ')}`,
    })
    .option('fail-on-unknown', {
      type: 'boolean',
      default: false,
      describe: 'exit 1 also for unknown findings (the snapshots could not decide them)',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no summary line on standard error' })
    .option('jobs', {
      type: 'string',
      default: '1',
      describe: `worker threads to evaluate with, 1 to ${MAX_JOBS} (the results are the same bytes whatever the number)`,
    }) as unknown as Argv<CheckArgs>;
}

/** `trailguard check`: evaluate, write the results in the chosen format, and return the exit code. */
export async function runCheck(args: CheckArgs): Promise<number> {
  const { formatter, options } = await chooseFormatter(args);
  if (!SEVERITIES.includes(args.failOn as Severity)) {
    throw new TrailguardError({
      code: 'usage',
      message: `unknown --fail-on ${JSON.stringify(args.failOn)}: expected one of ${SEVERITIES.join(', ')}`,
    });
  }
  const jobs = /^[1-9]\d{0,2}$/.test(args.jobs) ? Number(args.jobs) : Number.NaN;
  if (!(jobs <= MAX_JOBS)) {
    throw new TrailguardError({
      code: 'usage',
      message: `--jobs must be a whole number from 1 to ${MAX_JOBS}, found ${JSON.stringify(String(args.jobs))}`,
    });
  }
  if (args.snapshots.length === 0) throw new TrailguardError({ code: 'usage', message: 'check needs at least one snapshot file' });
  if (!args.builtin && args.rules.length === 0)
    throw new TrailguardError({ code: 'usage', message: '--no-builtin needs at least one --rules pack: there would be no rule to run' });
  const inputs = [...args.snapshots, ...args.rules, ...[args.params, args.waivers, args.template].filter((f) => f !== undefined)];
  const target = await prepareOutput(args.out, inputs);
  const check = await prepareCheck({
    snapshots: args.snapshots,
    imports: await importSettings(args),
    rules: args.rules,
    builtIn: args.builtin,
    params: args.params,
    allowOutsidePack: args.allowOutsidePack,
    waivers: args.waivers,
    failOn: args.failOn as Severity,
    failOnUnknown: args.failOnUnknown,
    jobs,
  });
  const results = check.stream();
  await writeOutput(formatter.format(results, options), target);
  const tail = results.tail();
  const result = tail.summary;
  if (!args.quiet) {
    // Expired and unused waivers are worth a reviewer's attention: one warning line each.
    for (const w of tail.waivers ?? []) {
      if (w.state !== 'applied')
        process.stderr.write(
          `${terminalSafe(`${w.at} warning: the waiver of ${w.rule} for ${w.resource} is ${w.state}: ${w.note} [waiver-${w.state}]`)}\n`,
        );
    }
    process.stderr.write(`${describeSummary(result, check.head, args.out, tail.waivers)}\n`);
  }
  return result.failing > 0 ? 1 : 0;
}
