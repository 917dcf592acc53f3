import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

/** An environment with no AWS credentials anywhere (and no instance metadata service to ask). */
function noCredentials(): NodeJS.ProcessEnv {
  const home = tempDir();
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
  };
}

describe('trailguard collect: credentials and usage', () => {
  it('without credentials: one line naming the fix, exit 2, nothing written', async () => {
    const out = join(tempDir(), 'snapshot.json');
    const run = await cli(['collect', '--out', out], { env: noCredentials() });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^trailguard: no AWS credentials found \(.*\): set AWS_PROFILE or pass --profile, run "aws sso login", or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \[credentials\]\n$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('with a profile that does not exist: the same clear error', async () => {
    const run = await cli(['collect', '--profile', 'no-such-profile'], { env: noCredentials() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no AWS credentials found');
    expect(run.stderr).toContain('no-such-profile');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      ['--regions', 'us-east-1,Europe'],
      'trailguard: --regions takes Region names such as us-east-1,eu-west-1 or "all", found "Europe" [usage]',
    ],
    [
      ['--accounts', '111111111111'],
      'trailguard: --accounts, --accounts-file, --external-id and --out-dir go with --role-name (organisation mode) [usage]',
    ],
    [
      ['--role-name', 'Audit', '--out-dir', '.'],
      'trailguard: --role-name needs the accounts to collect: --accounts ID,ID,... or --accounts-file FILE [usage]',
    ],
    [['--role-name', 'Audit', '--accounts', '1111'], 'trailguard: account ids are 12 digits, found "1111" [usage]'],
    [
      ['--role-name', 'Audit', '--accounts', '111111111111'],
      'trailguard: --role-name writes one snapshot per account: give --out-dir DIR [usage]',
    ],
    [
      ['--role-name', 'Audit', '--accounts-file', 'no-such-file.txt', '--out-dir', '.'],
      'no-such-file.txt: accounts file not found: no such file [file-not-found]',
    ],
    [['--concurrency', '0'], 'trailguard: --concurrency and --parallel-accounts take a whole number from 1 to 64, found 0 [usage]'],
    [['--max-attempts', '0'], 'trailguard: --max-attempts takes a whole number from 1 to 20, found 0 [usage]'],
    [['--request-timeout', '-1'], 'trailguard: --request-timeout takes a number of seconds above 0 and at most 600, found -1 [usage]'],
  ])('%j: %s', async (args, line) => {
    const run = await cli(['collect', ...args], { env: noCredentials() });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${line}\n`);
  });

  it('reads account ids from a file, ignoring comments and blank lines', async () => {
    const file = join(tempDir(), 'accounts.txt');
    writeFileSync(file, '# audit targets\n111111111111\n\n222222222222  # log archive\n12345\n');
    const run = await cli(['collect', '--role-name', 'Audit', '--accounts-file', file, '--out-dir', '.'], { env: noCredentials() });
    expect(run.stderr).toBe('trailguard: account ids are 12 digits, found "12345" [usage]\n');
  });
});
