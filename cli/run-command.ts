import { workerData } from 'node:worker_threads';
import yargs from 'yargs';
import { type Diagnostic, formatDiagnostic, TOOL_VERSION, TrailguardError, terminalSafe } from '../engine/index.js';
import { type CheckArgs, checkBuilder, runCheck } from './check-command.js';
import { type CollectArgs, collectBuilder, runCollect } from './collect-command.js';
import { type ExplainArgs, explainBuilder, runExplain } from './explain-command.js';
import { type RenderArgs, renderBuilder, runRender } from './render-command.js';
import { terminal, type WorkerArgs } from './terminal.js';
import { runTest, type TestArgs, testBuilder } from './test-command.js';
import { runValidate, type ValidateArgs, validateBuilder } from './validate-command.js';
import { ReaderGone } from './write-output.js';

/** Exit codes: 0 nothing failing, 1 failing findings, 2 bad usage or bad input. */
const EXIT_BAD_INPUT = 2;

async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let code = 0;
  const parser = yargs(argv)
    .scriptName('trailguard')
    .usage('$0 <command> [options]\n\nAudit AWS CloudTrail log encryption: evaluate rules over saved snapshots and report.')
    .command<CheckArgs>(
      'check [snapshots..]',
      'evaluate the built-in pack (and --rules packs) over snapshots',
      (y) => checkBuilder(y),
      async (args) => {
        code = await runCheck(args);
      },
    )
    .command<CollectArgs>(
      'collect',
      "snapshot the credentials' account (or, with --role-name, each of --accounts) into a snapshot file",
      (y) => collectBuilder(y),
      async (args) => {
        code = await runCollect(args);
      },
    )
    .command<RenderArgs>(
      'render <results>',
      're-render saved results (check --format json) in another format or with a template, without the snapshots',
      (y) => renderBuilder(y),
      async (args) => {
        code = await runRender(args);
      },
    )
    .command<ValidateArgs>(
      'validate [paths..]',
      'check rule packs (rules, pack.yaml, rule tests) and report every problem with file:line:col',
      (y) => validateBuilder(y),
      async (args) => {
        code = await runValidate(args);
      },
    )
    .command<TestArgs>(
      'test [paths..]',
      'run the tests beside each rule (<rule-id>.tests.yaml) and report what they covered',
      (y) => testBuilder(y),
      async (args) => {
        code = await runTest(args);
      },
    )
    .command<ExplainArgs>(
      'explain [snapshots..]',
      'show how one rule judged one resource: bindings, selected values, and each policy statement on each request',
      (y) => explainBuilder(y),
      async (args) => {
        code = await runExplain(args);
      },
    )
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces with errors' })
    .demandCommand(1, 'give a command: collect, check, render, validate, test or explain')
    .strict()
    .version(TOOL_VERSION)
    .help()
    .wrap(Math.min(110, terminal.columns ?? 110))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new TrailguardError({ code: 'usage', message: `${message.replaceAll('\n', ' ')} (see trailguard --help)` });
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    return report(error, verbose);
  }
  return code;
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
