import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { AccountResult, CollectedSnapshot, ProgressEvent } from '../collectors/index.js';
import { formatDiagnostic, readTextFile, TOOL_VERSION, TrailguardError, terminalSafe } from '../engine/index.js';
import { terminal } from './terminal.js';
import { prepareOutDir, prepareOutput, writeOutput } from './write-output.js';

export interface CollectArgs {
  readonly profile: string | undefined;
  readonly regions: string | undefined;
  readonly out: string | undefined;
  readonly roleName: string | undefined;
  readonly accounts: string | undefined;
  readonly accountsFile: string | undefined;
  readonly externalId: string | undefined;
  readonly outDir: string | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly requestTimeout: number;
  readonly parallelAccounts: number;
  readonly quiet: boolean;
}

export function collectBuilder(yargs: Argv): Argv<CollectArgs> {
  return yargs
    .option('profile', {
      type: 'string',
      describe: 'AWS profile (default: the standard credential chain: env, profile, SSO, instance role)',
    })
    .option('regions', {
      type: 'string',
      describe: 'comma-separated Regions to scan, or "all" (default: every Region enabled for the account)',
    })
    .option('out', { type: 'string', describe: 'write the snapshot to this file (atomically) instead of standard output' })
    .option('role-name', { type: 'string', describe: 'organisation mode: the role to assume in each of --accounts' })
    .option('accounts', { type: 'string', describe: 'organisation mode: comma-separated account ids' })
    .option('accounts-file', { type: 'string', describe: 'organisation mode: a file of account ids, one per line (# comments)' })
    .option('external-id', { type: 'string', describe: 'organisation mode: the external id the role requires' })
    .option('out-dir', { type: 'string', describe: 'organisation mode: the folder for one snapshot per account (<account>.json)' })
    .option('concurrency', { type: 'number', default: 8, describe: 'API calls in flight at once per account' })
    .option('max-attempts', { type: 'number', default: 6, describe: 'attempts per API call, retries with backoff included' })
    .option('request-timeout', { type: 'number', default: 30, describe: 'seconds to wait for one API response before retrying' })
    .option('parallel-accounts', { type: 'number', default: 4, describe: 'organisation mode: accounts collected at once' })
    .option('quiet', {
      type: 'boolean',
      default: false,
      describe: 'no progress, warnings or summary on standard error',
    }) as unknown as Argv<CollectArgs>;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** `trailguard collect`: snapshot the credentials' account, or each account of an organisation. */
export async function runCollect(args: CollectArgs): Promise<number> {
  const regions = parseRegions(args.regions);
  const accounts = await parseAccounts(args);
  checkModes(args, accounts);
  for (const n of [args.concurrency, args.parallelAccounts]) {
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw usage(`--concurrency and --parallel-accounts take a whole number from 1 to 64, found ${n}`);
  }
  if (!Number.isInteger(args.maxAttempts) || args.maxAttempts < 1 || args.maxAttempts > 20)
    throw usage(`--max-attempts takes a whole number from 1 to 20, found ${args.maxAttempts}`);
  if (!(args.requestTimeout > 0 && args.requestTimeout <= 600))
    throw usage(`--request-timeout takes a number of seconds above 0 and at most 600, found ${args.requestTimeout}`);
  const clientOptions = { maxAttempts: args.maxAttempts, requestTimeoutMs: Math.round(args.requestTimeout * 1000) };
  // The SDK warns on Node 20 that its releases from 2027 need Node 22; trailguard pins its SDK versions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const collectors = await import('../collectors/index.js');
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const base = fromNodeProviderChain(args.profile === undefined ? {} : { profile: args.profile });
  const say = (line: string) => {
    // Lines quote AWS's own messages and ARNs: nothing in them may act on the terminal.
    if (!args.quiet) process.stderr.write(`${terminalSafe(line)}\n`);
  };
  const progress = args.quiet || !terminal.stderrIsTTY ? undefined : progressPrinter();
  const options = {
    ...(regions === undefined ? {} : { regions }),
    concurrency: args.concurrency,
    toolVersion: TOOL_VERSION,
    ...(progress ? { onProgress: progress } : {}),
  };
  try {
    if (args.roleName === undefined) {
      const target = await prepareOutput(args.out);
      const snapshot = await collectors.collectAccount(collectors.createAwsClients({ ...clientOptions, credentials: base }), options);
      await writeOutput([`${JSON.stringify(snapshot, null, 2)}\n`], target);
      report(snapshot, args.out, say);
      return 0;
    }
    // The snapshot folder is checked before any account is collected: a typo should not cost an organisation's run.
    await prepareOutDir(args.outDir as string, 'snapshots');
    const caller = await collectors.identify(collectors.createAwsClients({ ...clientOptions, credentials: base }), regions?.[0]);
    const results = await collectors.collectOrganisation(
      (credentials) => collectors.createAwsClients({ ...clientOptions, credentials }),
      base,
      {
        ...options,
        accounts,
        roleName: args.roleName,
        ...(args.externalId === undefined ? {} : { externalId: args.externalId }),
        partition: caller.partition,
        accountConcurrency: args.parallelAccounts,
        onAccount: (result) => {
          if ('error' in result) say(`trailguard: ${result.account}: ${result.error}`);
        },
      },
    );
    return await writeAccounts(results, args.outDir as string, say);
  } catch (error) {
    if (error instanceof collectors.CredentialsError) {
      const message = args.profile === undefined ? error.message : `profile ${JSON.stringify(args.profile)}: ${error.message}`;
      throw new TrailguardError({ code: 'credentials', message }, { cause: error });
    }
    throw error;
  }
}

/**
 * Writes each account's snapshot. A snapshot that cannot be written (a full disk) is reported and the others are
 * still written and summarised; the run then exits 2.
 */
async function writeAccounts(results: readonly AccountResult[], outDir: string, say: (line: string) => void): Promise<number> {
  const failed = results.filter((r): r is Extract<AccountResult, { error: string }> => 'error' in r);
  const unwritten: string[] = [];
  for (const result of results) {
    if (!('snapshot' in result)) continue;
    const file = join(outDir, `${result.account}.json`);
    try {
      await writeOutput([`${JSON.stringify(result.snapshot, null, 2)}\n`], await prepareOutput(file));
      report(result.snapshot, file, say);
    } catch (error) {
      if (!(error instanceof TrailguardError)) throw error;
      unwritten.push(result.account);
      for (const d of error.diagnostics) say(formatDiagnostic(d));
    }
  }
  const collected = results.length - failed.length;
  say(
    `trailguard: ${collected} of ${results.length} accounts collected${failed.length > 0 ? `; failed: ${failed.map((f) => f.account).join(', ')}` : ''}${unwritten.length > 0 ? `; not written: ${unwritten.join(', ')}` : ''}`,
  );
  return unwritten.length > 0 ? 2 : failed.length > 0 ? 1 : 0;
}

function report(snapshot: CollectedSnapshot, out: string | undefined, say: (line: string) => void): void {
  const keys = Object.keys(snapshot.keys).length;
  const errors = snapshot.errors;
  if (errors.length > 0) {
    const listed = errors.slice(0, 5).map((e) => `${e.operation} ${e.code}${e.region ? ` in ${e.region}` : ''}`);
    say(
      `trailguard: warning: ${errors.length} API call${errors.length === 1 ? '' : 's'} failed in account ${snapshot.account.id} (${listed.join('; ')}${errors.length > 5 ? '; …' : ''}); the snapshot records them and check reports the coverage as incomplete`,
    );
  }
  say(
    `trailguard: collected ${snapshot.trails.length} trail${snapshot.trails.length === 1 ? '' : 's'} and ${keys} key${keys === 1 ? '' : 's'} from ${snapshot.regions.length} Region${snapshot.regions.length === 1 ? '' : 's'} of account ${snapshot.account.id}${out === undefined ? '' : ` → ${out}`}`,
  );
}

function progressPrinter(): (event: ProgressEvent) => void {
  let regions = 0;
  let done = 0;
  const write = (text: string) => process.stderr.write(`${terminalSafe(text.slice(0, -1))}\n`);
  return (event) => {
    switch (event.kind) {
      case 'identity':
        write(`trailguard: account ${event.account} as ${event.callerArn}\n`);
        break;
      case 'regions':
        regions = event.regions.length;
        write(`trailguard: scanning ${regions} Region${regions === 1 ? '' : 's'}\n`);
        break;
      case 'region':
        done++;
        write(
          `  [${done}/${regions}] ${event.region}: ${event.failed ? 'DescribeTrails failed' : `${event.trails} trail${event.trails === 1 ? '' : 's'} listed`}\n`,
        );
        break;
      case 'keys':
        write(`trailguard: reading the KMS keys the trails name (${event.references} reference${event.references === 1 ? '' : 's'})\n`);
        break;
      case 'key':
        write(`  ${event.arn}${event.failed ? ' (not fully readable)' : ''}\n`);
        break;
    }
  };
}

function parseRegions(text: string | undefined): string[] | undefined {
  if (text === undefined || text === 'all') return undefined;
  const regions = text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const bad = regions.find((r) => !REGION.test(r));
  if (regions.length === 0 || bad !== undefined)
    throw usage(`--regions takes Region names such as us-east-1,eu-west-1 or "all", found ${JSON.stringify(bad ?? text)}`);
  return [...new Set(regions)];
}

async function parseAccounts(args: CollectArgs): Promise<string[]> {
  const listed = args.accounts?.split(',') ?? [];
  let fromFile: string[] = [];
  const file = args.accountsFile;
  if (file !== undefined) {
    const { text } = await readTextFile(file, 'accounts file');
    fromFile = text.split('\n').map((line) => line.replace(/#.*/, ''));
  }
  const accounts = [...listed, ...fromFile].map((a) => a.trim()).filter((a) => a !== '');
  const bad = accounts.find((a) => !/^\d{12}$/.test(a));
  if (bad !== undefined) throw usage(`account ids are 12 digits, found ${JSON.stringify(bad)}`);
  return [...new Set(accounts)];
}

function checkModes(args: CollectArgs, accounts: readonly string[]): void {
  const organisation = args.roleName !== undefined;
  if (!organisation && (accounts.length > 0 || args.externalId !== undefined || args.outDir !== undefined)) {
    throw usage('--accounts, --accounts-file, --external-id and --out-dir go with --role-name (organisation mode)');
  }
  if (organisation && accounts.length === 0)
    throw usage('--role-name needs the accounts to collect: --accounts ID,ID,... or --accounts-file FILE');
  if (organisation && args.outDir === undefined) throw usage('--role-name writes one snapshot per account: give --out-dir DIR');
  if (organisation && args.out !== undefined) throw usage('--out is for one account; with --role-name use --out-dir');
}

function usage(message: string): TrailguardError {
  return new TrailguardError({ code: 'usage', message });
}
