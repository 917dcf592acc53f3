import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import {
  applyOrder,
  commandsFor,
  type FixPlan,
  fixFiles,
  inputKind,
  type KeyFix,
  keyFolder,
  planFix,
  stableJson,
  statementsOf,
  TrailguardError,
  terminalSafe,
} from '../engine/index.js';
import { type ImportArgs, importOptions, importSettings } from './import-options.js';
import { type RuleArgs, ruleOptions } from './rule-options.js';
import { askTerminal, terminal } from './terminal.js';
import { prepareOutDir, writeOutput } from './write-output.js';

export interface FixArgs extends RuleArgs, ImportArgs {
  readonly snapshots: readonly string[];
  readonly outDir: string | undefined;
  readonly format: string;
  readonly apply: boolean;
  readonly yes: boolean;
  readonly profile: string | undefined;
}

const FIX_FORMATS = ['text', 'json'] as const;

export function fixBuilder(yargs: Argv): Argv<FixArgs> {
  return importOptions(ruleOptions(yargs))
    .positional('snapshots', { type: 'string', array: true, describe: 'snapshot files (one per account; keys are looked up across all)' })
    .option('out-dir', {
      type: 'string',
      describe: 'write per key its policy.json, commands.sh, cloudformation.yaml and terraform.tf, a README and the fixed snapshots here',
    })
    .option('format', {
      type: 'string',
      default: 'text',
      describe: `what to print: ${FIX_FORMATS.join(', ')}`,
    })
    .option('apply', {
      type: 'boolean',
      default: false,
      describe:
        'write each proven policy with kms:PutKeyPolicy (lockout safety check on) after showing the change and asking, then read it back',
    })
    .option('yes', { type: 'boolean', default: false, describe: 'with --apply: do not ask' })
    .option('profile', {
      type: 'string',
      describe: 'with --apply: the AWS profile to write with (default: the standard credential chain)',
    }) as unknown as Argv<FixArgs>;
}

/**
 * `trailguard fix SNAPSHOT...`: for each key whose policy makes a finding fail, one new policy proven by checking the
 * snapshots again with it in place; exit 0 when every failing finding on those keys is resolved, 1 when some are not
 * (refused, to fix by hand, or still failing), 2 for bad input.
 */
export async function runFix(args: FixArgs): Promise<number> {
  if (!(FIX_FORMATS as readonly string[]).includes(args.format)) {
    throw new TrailguardError({
      code: 'usage',
      message: `unknown --format ${JSON.stringify(args.format)} for fix: expected one of ${FIX_FORMATS.join(', ')}`,
    });
  }
  if (args.snapshots.length === 0) throw new TrailguardError({ code: 'usage', message: 'fix needs at least one snapshot file' });
  if (args.apply && (await importedInputs(args)))
    throw new TrailguardError({
      code: 'usage',
      message:
        '--apply writes key policies into an account, and these inputs are templates or plans that describe keys not deployed from them yet: apply the template patch (--out-dir) and deploy instead',
    });
  if (args.apply && !args.yes && !terminal.stdinIsTTY)
    throw new TrailguardError({
      code: 'usage',
      message: '--apply changes key policies and asks first, but standard input is not a terminal: add --yes to apply without asking',
    });
  if (args.outDir !== undefined) await prepareOutDir(args.outDir, 'the fixes', { create: true });
  const plan = await planFix({
    snapshots: args.snapshots,
    imports: await importSettings(args),
    rules: args.rules,
    builtIn: args.builtin,
    params: args.params,
    allowOutsidePack: args.allowOutsidePack,
  });
  if (args.outDir !== undefined) await writeFolder(args.outDir, fixFiles(plan, args.snapshots));
  const text = args.format === 'json' ? `${JSON.stringify(jsonView(plan), null, 2)}\n` : textView(plan, args.outDir);
  await writeOutput([text], undefined);
  const unresolved = plan.keys.some((k) => k.kind === 'refused' || k.kind === 'manual' || k.remaining.length > 0);
  const applied = args.apply ? await apply(plan, args) : true;
  return unresolved || plan.worse.length > 0 || !applied ? 1 : 0;
}

/**
 * `--apply`: shows each proven policy's change, asks (unless --yes), writes them with kms:PutKeyPolicy and reads each
 * back. Keys of another account, new keys and key states are left to their commands. True when every write was
 * read back the same.
 */
async function apply(plan: FixPlan, args: FixArgs): Promise<boolean> {
  const say = (line: string) => process.stdout.write(`${terminalSafe(line)}\n`);
  const collectors = await import('../collectors/index.js');
  const clients = collectors.createAwsClients(args.profile === undefined ? {} : { profile: args.profile });
  let caller: { account: string };
  try {
    caller = await collectors.identify(clients);
  } catch (error) {
    if (error instanceof collectors.CredentialsError) {
      const message = args.profile === undefined ? error.message : `profile ${JSON.stringify(args.profile)}: ${error.message}`;
      throw new TrailguardError({ code: 'credentials', message }, { cause: error });
    }
    throw error;
  }
  const proven = applyOrder(plan).filter((k) => k.kind === 'policy');
  const writes = proven.filter((k) => k.account === caller.account);
  say('');
  for (const k of proven.filter((p) => p.account !== caller.account))
    say(
      `not applied: ${k.key} belongs to account ${k.account}, and these credentials are account ${caller.account}'s: hand its policy to its owner`,
    );
  if (writes.length === 0) {
    say('Nothing to apply with these credentials.');
    return proven.length === 0;
  }
  for (const k of writes) {
    say(`${k.key}:`);
    for (const line of statementChanges(k.before, k.after)) say(`  ${line}`);
  }
  if (
    !args.yes &&
    !(await confirm(`Write ${writes.length} key ${writes.length === 1 ? 'policy' : 'policies'} to account ${caller.account}? [y/N] `))
  ) {
    say('Not applied.');
    return false;
  }
  const outcomes = await collectors.applyKeyPolicies(
    writes.map((k) => ({ key: k.key, region: k.region, policy: k.after })),
    clients,
  );
  let ok = true;
  for (const outcome of outcomes) {
    const written = writes.find((k) => k.key === outcome.key);
    if (outcome.status === 'failed') {
      ok = false;
      say(`FAILED ${outcome.key}: ${outcome.message}`);
    } else if (stableJson(outcome.readBack) !== stableJson(written?.after)) {
      ok = false;
      say(`DIFFERS ${outcome.key}: written, but GetKeyPolicy reads back another policy`);
    } else say(`written ${outcome.key}: read back the same`);
  }
  return ok;
}

/** The statements a new policy removes and adds, as one line each. */
function statementChanges(before: unknown, after: unknown): string[] {
  const list = (policy: unknown) => statementsOf(policy).map((s) => stableJson(s));
  const [old, now] = [list(before), list(after)];
  return [...old.filter((s) => !now.includes(s)).map((s) => `- ${s}`), ...now.filter((s) => !old.includes(s)).map((s) => `+ ${s}`)];
}

/** Asks on the terminal; yes or y agrees. */
async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await askTerminal(question)).trim());
}
/** Writes each file to a temporary name beside it, then renames it: a folder never holds half a file. */
async function writeFolder(folder: string, files: readonly { readonly path: string; readonly text: string }[]): Promise<void> {
  for (const file of files) {
    const target = join(folder, file.path);
    await mkdir(dirname(target), { recursive: true }); // inside the folder checked above
    const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(temp, file.text, { mode: file.path.endsWith('.sh') ? 0o755 : 0o644 });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/** Whether any input is a template or plan rather than a snapshot. */
async function importedInputs(args: FixArgs): Promise<boolean> {
  const kinds = await Promise.all(args.snapshots.map((s) => inputKind(s)));
  return kinds.some((k) => k !== 'snapshot');
}

function jsonView(plan: FixPlan): unknown {
  return { keys: applyOrder(plan).map((k) => ({ ...k, commands: commandsFor(k) })), worse: plan.worse };
}

const HEADINGS: Readonly<Record<KeyFix['kind'], string>> = {
  policy: 'new policy, proven',
  'new-key': 'AWS managed: a new customer managed key with this policy, proven',
  'key-state': "the key's state",
  refused: 'REFUSED',
  manual: 'fix by hand',
};

/** Where a template or plan declares the key, and how its fix goes in. */
function sourceLine(fix: KeyFix, index: number, outDir: string | undefined): string {
  const source = fix.source as NonNullable<KeyFix['source']>;
  const where = `declared in ${source.file}:${source.line}:${source.column} (${source.resource})`;
  const folder = outDir === undefined ? undefined : join(outDir, keyFolder(fix, index));
  if (source.patch !== undefined)
    return folder === undefined
      ? `${where}: --out-dir DIR writes the template patch`
      : `${where}: $ git apply ${join(folder, 'template.patch')}`;
  if (source.kind === 'terraform-plan')
    return `${where}: set its policy as ${folder === undefined ? 'terraform.tf (--out-dir DIR)' : join(folder, 'terraform.tf')} writes it`;
  return `${where}: ${source.reason ?? ''}`;
}

function textView(plan: FixPlan, outDir: string | undefined): string {
  const keys = applyOrder(plan);
  if (keys.length === 0) return 'Nothing to fix: no finding fails because of a key.\n';
  const lines: string[] = [];
  for (const [i, fix] of keys.entries()) {
    lines.push(
      `${i + 1}. ${fix.key}: ${HEADINGS[fix.kind]}${fix.ownedElsewhere ? ` (the key belongs to account ${fix.account}, not the trails' accounts: hand it to its owner)` : ''}`,
    );
    for (const change of fix.changes) lines.push(`   - ${change}`);
    for (const r of fix.resolves) lines.push(`   resolves ${r.ruleId} on ${r.resource} (${r.before} → ${r.after})`);
    for (const refusal of fix.refusals) lines.push(`   ${fix.kind === 'refused' ? 'refused' : 'by hand'}: ${refusal}`);
    for (const r of fix.remaining) lines.push(`   still ${r.before}: ${r.ruleId} on ${r.resource}`);
    if (fix.kind !== 'refused' && fix.kind !== 'manual') for (const command of commandsFor(fix)) lines.push(`   $ ${command}`);
    if (fix.source !== undefined) lines.push(`   ${sourceLine(fix, i, outDir)}`);
  }
  for (const w of plan.worse)
    lines.push(`WORSE with the proven policies in place: ${w.ruleId} on ${w.resource} (${w.before} → ${w.after})`);
  const resolved = keys.reduce((n, k) => n + k.resolves.length, 0);
  lines.push(
    '',
    `${resolved} failing finding(s) resolved by ${keys.filter((k) => k.kind === 'policy' || k.kind === 'new-key').length} proven fix(es)` +
      (outDir === undefined ? '; --out-dir DIR writes the policies, commands, CloudFormation and Terraform' : `; written to ${outDir}`),
  );
  return `${lines.map((line) => terminalSafe(line)).join('\n')}\n`;
}
