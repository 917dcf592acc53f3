import { workerData } from 'node:worker_threads';
import yargs, { type Argv } from 'yargs';
import { closestName, type Diagnostic, formatDiagnostic, TOOL_VERSION, TrailguardError, terminalSafe } from '../engine/index.js';
import { type CheckArgs, checkBuilder, runCheck } from './check-command.js';
import { type CollectArgs, collectBuilder, runCollect } from './collect-command.js';
import { type DiffArgs, diffBuilder, runDiff } from './diff-command.js';
import { type ExplainArgs, explainBuilder, runExplain } from './explain-command.js';
import { type FixArgs, fixBuilder, runFix } from './fix-command.js';
import { type ImportCommandArgs, importBuilder, runImport } from './import-command.js';
import { type RenderArgs, renderBuilder, runRender } from './render-command.js';
import { terminal, type WorkerArgs } from './terminal.js';
import { runTest, type TestArgs, testBuilder } from './test-command.js';
import { runValidate, type ValidateArgs, validateBuilder } from './validate-command.js';
import { ReaderGone } from './write-output.js';

/** Exit codes: 0 nothing failing, 1 failing findings, 2 bad usage or bad input. */
const EXIT_BAD_INPUT = 2;

/** One subcommand: how it is written, what it does, its options, and what runs it (returning the exit code). */
interface Command<A> {
  readonly usage: string;
  readonly describe: string;
  readonly builder: (y: Argv) => Argv<A>;
  readonly run: (args: A) => Promise<number>;
}

const command = <A>(c: Command<A>): Command<unknown> => c as unknown as Command<unknown>;

/** Every subcommand, in the order `--help` lists them. */
const COMMANDS: readonly Command<unknown>[] = [
  command<CheckArgs>({
    usage: 'check [snapshots..]',
    describe: 'evaluate the built-in pack (and --rules packs) over snapshots',
    builder: checkBuilder,
    run: runCheck,
  }),
  command<CollectArgs>({
    usage: 'collect',
    describe: "snapshot the credentials' account (or, with --role-name, each of --accounts) into a snapshot file",
    builder: collectBuilder,
    run: runCollect,
  }),
  command<ImportCommandArgs>({
    usage: 'import <kind> [files..]',
    describe: 'a snapshot of what CloudFormation templates or a Terraform plan (terraform show -json) would deploy',
    builder: importBuilder,
    run: runImport,
  }),
  command<RenderArgs>({
    usage: 'render <results>',
    describe: 're-render saved results (check --format json) in another format or with a template, without the snapshots',
    builder: renderBuilder,
    run: runRender,
  }),
  command<ValidateArgs>({
    usage: 'validate [paths..]',
    describe: 'check rule packs (rules, pack.yaml, rule tests) and report every problem with file:line:col',
    builder: validateBuilder,
    run: runValidate,
  }),
  command<TestArgs>({
    usage: 'test [paths..]',
    describe: 'run the tests beside each rule (<rule-id>.tests.yaml) and report what they covered',
    builder: testBuilder,
    run: runTest,
  }),
  command<DiffArgs>({
    usage: 'diff <before> <after>',
    describe:
      'what changed between two results files: newly failing, resolved, keys and key policies changed (exit 1 if something newly fails)',
    builder: diffBuilder,
    run: runDiff,
  }),
  command<FixArgs>({
    usage: 'fix [snapshots..]',
    describe: 'one proven key policy per key whose policy makes a finding fail, as JSON, commands, CloudFormation and Terraform',
    builder: fixBuilder,
    run: runFix,
  }),
  command<ExplainArgs>({
    usage: 'explain [snapshots..]',
    describe: 'show how one rule judged one resource: bindings, selected values, and each policy statement on each request',
    builder: explainBuilder,
    run: runExplain,
  }),
];

async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let code = 0;
  let parser = yargs(argv)
    .scriptName('trailguard')
    .usage('$0 <command> [options]\n\nAudit AWS CloudTrail log encryption: evaluate rules over saved snapshots and report.');
  for (const c of COMMANDS) {
    parser = parser.command(c.usage, c.describe, c.builder, async (args) => {
      code = await c.run(args);
    });
  }
  parser = parser
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces with errors' })
    .demandCommand(1, 'give a command: collect, check, import, render, diff, fix, validate, test or explain')
    .strict()
    .version(TOOL_VERSION)
    .help()
    .wrap(Math.min(110, terminal.columns ?? 110))
    .exitProcess(false)
    .fail((message, error) => {
      // The parser's options are, by now, those of the command being run.
      const options = Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      throw error ?? new TrailguardError({ code: 'usage', message: `${usageMessage(message, argv, options)} (see trailguard --help)` });
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    return report(error, verbose);
  }
  return code;
}

/**
 * yargs' message, with a suggestion for a mistyped command or option: `unknown command "chek" (did you mean
 * check?)`, `unknown option --fromat (did you mean --format?)`.
 */
function usageMessage(message: string, argv: readonly string[], known: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message.trim())?.[1]?.split(', ');
  if (unknown === undefined) return message.replaceAll('\n', ' ');
  const commands = COMMANDS.map((c) => c.usage.split(' ')[0] as string);
  const first = argv.find((a) => !a.startsWith('-'));
  if (first !== undefined && unknown[0] === first && !commands.includes(first)) {
    const meant = closestName(first, commands);
    return `unknown command ${JSON.stringify(first)}${meant === undefined ? '' : ` (did you mean ${meant}?)`}: commands are ${commands.join(', ')}`;
  }
  // yargs knows each option as written (fail-on) and camel-cased (failOn): suggest the written form.
  const options = known.filter((k) => k.length > 1 && !/[A-Z]/.test(k));
  // yargs names a mistyped --some-option twice, the second time camel-cased (someOption).
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const told = unknown
    .filter((name) => !/[A-Z]/.test(name) || !unknown.includes(kebab(name)))
    .map((name) => {
      const flag = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`)) ? `--${name}` : JSON.stringify(name);
      const meant = flag.startsWith('--') ? closestName(name, options) : undefined;
      return `${flag.startsWith('--') ? 'unknown option' : 'unexpected argument'} ${flag}${meant === undefined ? '' : ` (did you mean --${meant}?)`}`;
    });
  return told.join('; ');
}

function report(error: unknown, verbose: boolean): number {
  if (error instanceof ReaderGone) return 0;
  if (error instanceof TrailguardError) {
    for (const d of error.diagnostics) process.stderr.write(`${formatLine(d)}\n`);
    if (verbose)
      process.stderr.write(
        `${error.stack ?? ''}\n${error.cause instanceof Error ? `caused by: ${error.cause.stack ?? error.cause.message}\n` : ''}`,
      );
    return EXIT_BAD_INPUT;
  }
  const e = error as Error;
  process.stderr.write(
    `${terminalSafe(`trailguard: internal error: ${e?.message ?? String(error)} (run with --verbose for details; please report it)`)}\n`,
  );
  if (verbose)
    process.stderr.write(`${e?.stack ?? ''}\n${e?.cause instanceof Error ? `caused by: ${e.cause.stack ?? e.cause.message}\n` : ''}`);
  return EXIT_BAD_INPUT;
}

function formatLine(d: Diagnostic): string {
  return d.file === undefined ? `trailguard: ${formatDiagnostic(d)}` : formatDiagnostic(d);
}

// Run by main.ts in a worker thread, with the command line it was given.
main((workerData as WorkerArgs).argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, true);
  },
);
