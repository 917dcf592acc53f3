import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
import { mergeStatements } from '../../engine/fix/merge-statements.js';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';

interface Finding {
  ruleId: string;
  status: string;
  resource: { id: string };
}

const NON_COMPLIANT = 'examples/non-compliant/snapshot.json';
const key = (n: number) => `arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a00${n}`;

async function findings(snapshots: readonly string[], extra: readonly string[] = []): Promise<Finding[]> {
  const run = await cli(['check', ...snapshots, ...extra, '--format', 'json', '--quiet']);
  return resultsOf<{ findings: Finding[] }>(run.stdout).findings;
}

const RANK: Record<string, number> = { pass: 0, skip: 0, waived: 0, unknown: 1, fail: 2, error: 2 };

describe('merging the statements fixes ask for', () => {
  const forTrail = (trail: string) => ({
    Sid: 'Allow CloudTrail to encrypt logs',
    Effect: 'Allow',
    Principal: { Service: 'cloudtrail.amazonaws.com' },
    Action: 'kms:GenerateDataKey*',
    Resource: '*',
    Condition: {
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:111122223333:trail/*' },
      StringEquals: { 'aws:SourceArn': trail },
    },
  });

  it('one statement per Sid for every trail: the condition values are the union', () => {
    const merged = mergeStatements([forTrail('arn:t/a'), forTrail('arn:t/b'), forTrail('arn:t/a')]);
    expect(merged).toEqual([
      {
        ...forTrail('arn:t/a'),
        Condition: {
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:111122223333:trail/*' },
          StringEquals: { 'aws:SourceArn': ['arn:t/a', 'arn:t/b'] },
        },
      },
    ]);
  });

  it('twin: the same Sid with another shape (another action) is kept apart, under a numbered Sid', () => {
    const other = { ...forTrail('arn:t/b'), Action: 'kms:Decrypt' };
    const merged = mergeStatements([forTrail('arn:t/a'), other]);
    expect(merged.map((s) => s.Sid)).toEqual(['Allow CloudTrail to encrypt logs', 'Allow CloudTrail to encrypt logs (2)']);
    expect(merged[1]?.Action).toBe('kms:Decrypt');
  });
});

describe('trailguard fix on the non-compliant example', () => {
  let out: string;
  let run: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    out = join(tempDir(), 'fixes');
    run = await cli(['fix', NON_COMPLIANT, '--out-dir', out]);
  });

  it('proves a policy for each key whose policy fails, says what changes and what it resolves, and exits 1 for what is left', () => {
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`${key(1)}: new policy, proven`);
    expect(run.stdout).toContain(
      'Statement[1] (Sid "CloudTrail full access") granted CloudTrail "kms:*" with nothing confining it (it allows no-encryption-context); removed',
    );
    expect(run.stdout).toContain(
      'resolves cloudtrail-key-policy-generate-data-key on arn:aws:cloudtrail:us-east-1:222233334444:trail/kms-star-to-cloudtrail (fail → pass)',
    );
    expect(run.stdout).toContain(
      'Statement[4] (Sid "DenyOutsideOrganization") denied cloudtrail-key-policy-describe-key\'s request (service cloudtrail.amazonaws.com); it now applies only when aws:PrincipalIsAWSService is false',
    );
    // The key pending deletion gets its commands; the AWS managed key a new key and the trail moved to it.
    expect(run.stdout).toContain("1d4b2f6a-0000-4000-8000-00000000a004: the key's state");
    expect(run.stdout).toContain('$ aws kms cancel-key-deletion --region us-west-2');
    expect(run.stdout).toContain('a006: AWS managed: a new customer managed key with this policy, proven');
    expect(run.stdout).toContain(
      '$ aws cloudtrail update-trail --region ap-southeast-2 --name arn:aws:cloudtrail:ap-southeast-2:222233334444:trail/aws-managed-key --kms-key-id "$NEW_KEY_ARN"',
    );
    expect(run.stdout).toMatch(/\n8 failing finding\(s\) resolved by 4 proven fix\(es\); written to /);
  });

  it('keeps every statement it did not have to change, Sids and the root delegation included', () => {
    const snapshot = JSON.parse(readFileSync(join(ROOT, NON_COMPLIANT), 'utf8')) as { keys: Record<string, { policy: unknown }> };
    const folder = readdirSync(out).find((f) => f.endsWith('a002')) as string;
    const after = JSON.parse(readFileSync(join(out, folder, 'policy.json'), 'utf8')) as { Statement: { Sid?: string }[] };
    const policy = snapshot.keys[key(2)]?.policy;
    const before = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Statement: { Sid?: string }[] };
    expect(after.Statement.slice(0, before.Statement.length)).toEqual(before.Statement);
    expect(after.Statement.map((s) => s.Sid)).toEqual([...before.Statement.map((s) => s.Sid), 'Enable CloudTrail log decrypt permissions']);
  });

  it('check on the fixed snapshot: no policy-rule failure on the keys it fixed, and no finding worse than before', async () => {
    const fixed = join(out, 'fixed-snapshot.json');
    const before = await findings([NON_COMPLIANT]);
    const after = await findings([fixed]);
    const was = new Map(before.map((f) => [`${f.ruleId} ${f.resource.id}`, f.status]));
    for (const f of after) expect(RANK[f.status] ?? 9).toBeLessThanOrEqual(RANK[was.get(`${f.ruleId} ${f.resource.id}`) ?? 'pass'] ?? 9);
    const fixedTrails = ['kms-star-to-cloudtrail', 'root-only-decrypt', 'perimeter-deny'];
    const policyFailures = after.filter(
      (f) =>
        f.ruleId.startsWith('cloudtrail-key-policy-') && f.status === 'fail' && fixedTrails.some((t) => f.resource.id.endsWith(`/${t}`)),
    );
    expect(policyFailures).toEqual([]);
    // Twin: on the snapshot as collected, those trails do fail.
    expect(
      before.filter(
        (f) =>
          f.ruleId.startsWith('cloudtrail-key-policy-') && f.status === 'fail' && fixedTrails.some((t) => f.resource.id.endsWith(`/${t}`)),
      ),
    ).toHaveLength(4);
  });

  it('writes, per key, the policy, the commands, CloudFormation and Terraform, and a README in the order to apply', () => {
    const folders = readdirSync(out).filter((f) => /^\d\d-/.test(f));
    expect(folders).toEqual([
      '02-1d4b2f6a-0000-4000-8000-00000000a001',
      '03-1d4b2f6a-0000-4000-8000-00000000a002',
      '04-1d4b2f6a-0000-4000-8000-00000000a003',
      '05-1d4b2f6a-0000-4000-8000-00000000a006',
    ]);
    for (const folder of folders)
      expect(readdirSync(join(out, folder)).sort()).toEqual(['cloudformation.yaml', 'commands.sh', 'policy.json', 'terraform.tf']);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme.indexOf("a004 — the key's state")).toBeLessThan(readme.indexOf('a001 — a new key policy'));
    expect(readme).toContain(
      `aws kms put-key-policy --region us-east-1 --key-id ${key(1)} --policy-name default --policy file://policy.json`,
    );
    expect(readFileSync(join(out, '02-1d4b2f6a-0000-4000-8000-00000000a001', 'terraform.tf'), 'utf8')).toContain(
      '"kms:EncryptionContext:aws:cloudtrail:arn" = "arn:aws:cloudtrail:*:222233334444:trail/*"',
    );
  });
});

describe('trailguard fix on keys shared by many trails', () => {
  it('one statement per purpose naming every trail of the key: the trails it already named are kept, the others added', async () => {
    const dir = tempDir();
    const snapshot = join(dir, 'shared.json');
    // Ten trails per key; each key's CloudTrail statement names only the first in aws:SourceArn.
    await generateSnapshot(snapshot, 30, undefined, true);
    const out = join(dir, 'out');
    const run = await cli(['fix', snapshot, '--out-dir', out]);
    // 30 trails on 3 keys, less the first of each (already named) and trail-19, which has no key.
    expect(run.stdout).toContain('26 failing finding(s) resolved by 3 proven fix(es)');
    const folder = readdirSync(out).find((f) => f.startsWith('01-')) as string;
    const policy = JSON.parse(readFileSync(join(out, folder, 'policy.json'), 'utf8')) as { Statement: Record<string, unknown>[] };
    const encrypt = policy.Statement.filter((s) => s.Sid === 'Allow CloudTrail to encrypt logs');
    expect(encrypt).toHaveLength(1);
    const condition = (encrypt[0] as { Condition: { StringEquals: { 'aws:SourceArn': string[] } } }).Condition;
    const arns = condition.StringEquals['aws:SourceArn'];
    expect(arns).toHaveLength(10);
    expect(new Set(arns).size).toBe(10);
    const after = await findings([join(out, 'fixed-snapshot.json')]);
    expect(after.filter((f) => f.ruleId.startsWith('cloudtrail-key-policy-') && f.status === 'fail')).toEqual([]);
    expect(run.code).toBe(0);
  });
});

describe('trailguard fix refuses a policy that makes something worse', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  /** A pack with one rule over the non-compliant example's trails whose fix statement is `statement`. */
  function pack(name: string, assertion: string, statement: Record<string, unknown> | undefined, trail = 'root-only-decrypt'): string {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'pack.yaml'), `name: ${name}\nversion: 1.0.0\nrules: [${name}]\n`);
    writeFileSync(
      join(folder, `${name}.yaml`),
      [
        `id: ${name}`,
        'title: A rule whose fix would do harm',
        'severity: high',
        'resources: { path: "$.trails[*]", id: TrailARN, name: Name, type: "AWS::CloudTrail::Trail" }',
        'let:',
        '  key: { lookup: kms-key, of: $.KmsKeyId, require: [policy] }',
        `when: [{ path: $.TrailARN, op: equals, value: "arn:aws:cloudtrail:us-east-1:222233334444:trail/${trail}" }]`,
        'assert:',
        assertion,
        ...(statement === undefined
          ? []
          : ['fix:', '  - summary: Add this statement', '    document: key', `    statement: ${JSON.stringify(statement)}`]),
      ].join('\n'),
    );
    return folder;
  }

  it('a new grant to another account: refused, with the reason, and no files for the key', async () => {
    const rules = pack(
      'foreign-reader',
      '  - { path: key.policy, op: iam-policy, expect: allowed, request: { principal: { aws: "arn:aws:iam::999999999999:root" }, action: kms:Decrypt, resource: "{{key.arn}}" } }',
      {
        Sid: 'Foreign reader',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    );
    const out = join(dir, 'foreign-out');
    const run = await cli(['fix', NON_COMPLIANT, '--rules', rules, '--no-builtin', '--out-dir', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${key(2)}: REFUSED`);
    expect(run.stdout).toContain('refused: it would grant kms:Decrypt to account 999999999999, which the policy did not before');
    expect(existsSync(join(out, 'README.md'))).toBe(true);
    expect(readdirSync(out).filter((f) => /^\d\d-/.test(f))).toEqual([]);
  });

  it('twin: the same rule granting the account itself is proven', async () => {
    const rules = pack(
      'own-reader',
      '  - { path: key.policy, op: iam-policy, expect: allowed, request: { principal: { aws: "arn:aws:iam::222233334444:role/Auditor" }, action: kms:Decrypt, resource: "{{key.arn}}" } }',
      {
        Sid: 'Auditor reads',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::222233334444:role/Auditor' },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    );
    const run = await cli(['fix', NON_COMPLIANT, '--rules', rules, '--no-builtin']);
    expect(run.stdout).toContain(`${key(2)}: new policy, proven`);
    expect(run.code).toBe(0);
  });

  it('a lost administrator: refused when the fix would replace the root delegation with something narrower', async () => {
    const rules = pack(
      'narrow-root',
      '  - { path: key.policy, op: iam-policy, expect: not-allowed, request: { principal: { aws: "arn:aws:iam::222233334444:root" }, action: kms:ScheduleKeyDeletion, resource: "{{key.arn}}" } }',
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::222233334444:root' },
        Action: 'kms:Describe*',
        Resource: '*',
      },
    );
    const run = await cli(['fix', NON_COMPLIANT, '--rules', rules, '--no-builtin']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${key(2)}: REFUSED`);
    expect(run.stdout).toContain('refused: account 222233334444 could call kms:PutKeyPolicy on the key and no longer could');
  });

  it('a finding that would get worse: removing kms:* from CloudTrail is refused when another rule needs it', async () => {
    const rules = pack(
      'cloudtrail-reencrypts',
      '  - { path: key.policy, op: iam-policy, expect: allowed, request: { principal: { service: cloudtrail.amazonaws.com }, action: kms:ReEncryptFrom, resource: "{{key.arn}}" } }',
      undefined,
      'kms-star-to-cloudtrail',
    );
    const run = await cli(['fix', NON_COMPLIANT, '--rules', rules]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${key(1)}: REFUSED`);
    expect(run.stdout).toContain(
      'refused: cloudtrail-reencrypts on arn:aws:cloudtrail:us-east-1:222233334444:trail/kms-star-to-cloudtrail would go from pass to fail',
    );
  });

  it('twin: when that rule has a fix of its own, the new policy keeps what it needs and is proven', async () => {
    const rules = pack(
      'cloudtrail-reencrypts-fixed',
      '  - { path: key.policy, op: iam-policy, expect: allowed, request: { principal: { service: cloudtrail.amazonaws.com }, action: kms:ReEncryptFrom, resource: "{{key.arn}}" } }',
      {
        Sid: 'CloudTrail re-encrypts',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:ReEncryptFrom',
        Resource: '*',
      },
      'kms-star-to-cloudtrail',
    );
    const run = await cli(['fix', NON_COMPLIANT, '--rules', rules]);
    expect(run.stdout).toContain(`${key(1)}: new policy, proven`);
    expect(run.stdout).toContain('added Sid "CloudTrail re-encrypts": for cloudtrail-reencrypts-fixed');
  });
});

describe('trailguard fix on hostile names', () => {
  it('a trail name, ARN or Sid that would run a command or inject Markdown stays one quoted argument, and text', async () => {
    const snapshot = JSON.parse(readFileSync(join(ROOT, NON_COMPLIANT), 'utf8')) as {
      trails: Record<string, unknown>[];
      keys: Record<string, { metadata: Record<string, unknown> }>;
    };
    const evil = "x'; touch /tmp/trailguard-pwned; echo '`$(id)` <img src=x>";
    // The AWS managed key's trail: its replacement key's commands name the trail.
    const trail = snapshot.trails.find((t) => t.Name === 'aws-managed-key') as Record<string, unknown>;
    trail.TrailARN = `${String(trail.TrailARN)}${evil}`;
    const dir = tempDir();
    const file = join(dir, 'hostile.json');
    writeFileSync(file, JSON.stringify(snapshot));
    const out = join(dir, 'out');
    await cli(['fix', file, '--out-dir', out]);
    const folder = readdirSync(out).find((f) => f.endsWith('a006')) as string;
    const script = readFileSync(join(out, folder, 'commands.sh'), 'utf8');
    expect(script).toContain(
      `--name 'arn:aws:cloudtrail:ap-southeast-2:222233334444:trail/aws-managed-keyx'\\''; touch /tmp/trailguard-pwned; echo '\\''\`$(id)\` <img src=x>' --kms-key-id "$NEW_KEY_ARN"`,
    );
    // The shell reads the name back as one word, unchanged (sh -n parses without running).
    const words = spawnSync('sh', ['-c', `printf '%s\\n' ${script.split('--name ')[1]?.split(' --kms-key-id')[0]}`], { encoding: 'utf8' });
    expect(words.stdout).toBe(`arn:aws:cloudtrail:ap-southeast-2:222233334444:trail/aws-managed-key${evil}\n`);
    expect(spawnSync('sh', ['-n', join(out, folder, 'commands.sh')]).status).toBe(0);
    // The README, rendered as GitHub would (raw HTML on), shows the name as text: in prose and in the commands' block.
    const html = new MarkdownIt({ html: true }).render(readFileSync(join(out, 'README.md'), 'utf8'));
    expect(html).not.toMatch(/<img/);
    expect(html).toContain(
      "Used by: arn:aws:cloudtrail:ap-southeast-2:222233334444:trail/aws-managed-keyx'; touch /tmp/trailguard-pwned; echo '`$(id)` &lt;img src=x&gt;.",
    );
  });
});

describe('trailguard fix with nothing to fix, and bad input', () => {
  it('the compliant example and the organisation: nothing to fix, exit 0', async () => {
    for (const snapshots of [
      ['examples/compliant/snapshot.json'],
      ['examples/organisation/member-snapshot.json', 'examples/organisation/log-archive-snapshot.json'],
    ]) {
      const run = await cli(['fix', ...snapshots]);
      expect(run.stdout).toBe('Nothing to fix: no finding fails because of a key.\n');
      expect(run.code).toBe(0);
    }
  });

  it("a log-archive key that leaves out a member's trails: one policy naming every account's trails, marked for the key's owner", async () => {
    const logArchive = JSON.parse(readFileSync(join(ROOT, 'examples/organisation/log-archive-snapshot.json'), 'utf8')) as {
      keys: Record<string, { policy: { Statement: { Condition?: { StringLike: Record<string, unknown> } }[] } }>;
    };
    const entry = Object.values(logArchive.keys)[0];
    const encrypt = entry?.policy.Statement[2]?.Condition?.StringLike as Record<string, unknown>;
    encrypt['kms:EncryptionContext:aws:cloudtrail:arn'] = ['arn:aws:cloudtrail:*:123456789012:trail/*'];
    const broken = join(tempDir(), 'log-archive.json');
    writeFileSync(broken, JSON.stringify(logArchive));
    const out = join(tempDir(), 'org-fixes');
    const run = await cli(['fix', 'examples/organisation/member-snapshot.json', broken, '--out-dir', out]);
    expect(run.stdout).toContain(
      "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60718: new policy, proven (the key belongs to account 210987654321, not the trails' accounts: hand it to its owner)",
    );
    expect(run.stdout).toContain(
      'resolves cloudtrail-key-policy-generate-data-key on arn:aws:cloudtrail:us-east-1:333344445555:trail/member-data-events',
    );
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(
      'The key belongs to account 210987654321, not to the account whose trails use it: hand this to its owner.',
    );
    // Both accounts' trails keep working: the management account's trail still passes on the fixed snapshots.
    const after = await findings(['examples/organisation/member-snapshot.json', join(out, 'fixed-snapshot-2.json')]);
    expect(after.filter((f) => f.status === 'fail')).toEqual([]);
  });

  it('a failing policy query (who a key grants decryption to) is left to a person, saying why; exit 1', async () => {
    const run = await cli([
      'fix',
      'examples/organisation/member-snapshot.json',
      'examples/organisation/log-archive-snapshot.json',
      '--rules',
      'examples/audit-pack',
    ]);
    expect(run.stdout).toContain('4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60718: fix by hand');
    expect(run.stdout).toContain(
      'by hand: trail-key-no-foreign-decrypt fails on arn:aws:cloudtrail:us-east-1:123456789012:trail/organization-trail because of whom the key policy grants an action to (a policy query, which fix does not rewrite)',
    );
    expect(run.code).toBe(1);
  });

  it('an unknown format, no snapshot, a missing file: one line each, exit 2', async () => {
    const format = await cli(['fix', NON_COMPLIANT, '--format', 'yaml']);
    expect(format.stderr.trim()).toBe('trailguard: unknown --format "yaml" for fix: expected one of text, json [usage]');
    expect(format.code).toBe(2);
    const none = await cli(['fix']);
    expect(none.stderr.trim()).toBe('trailguard: fix needs at least one snapshot file [usage]');
    expect(none.code).toBe(2);
    const notFolder = await cli(['fix', NON_COMPLIANT, '--out-dir', 'README.md']);
    expect(notFolder.stderr).toBe('README.md: cannot write the fixes to --out-dir: it is not a folder [output]\n');
    expect(notFolder.code).toBe(2);
    const noParent = join(tempDir(), 'no', 'such');
    const deep = await cli(['fix', NON_COMPLIANT, '--out-dir', noParent]);
    expect(deep.stderr).toBe(`${noParent}: cannot create --out-dir for the fixes: its parent folder does not exist [output]\n`);
    expect(deep.code).toBe(2);
    const missing = await cli(['fix', 'no-such.json']);
    expect(missing.stderr).toMatch(/^no-such\.json: /);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.code).toBe(2);
  });

  it('--format json: each key with its policies, proof and commands', async () => {
    const run = await cli(['fix', NON_COMPLIANT, '--format', 'json']);
    const plan = JSON.parse(run.stdout) as {
      keys: { key: string; kind: string; after: unknown; resolves: unknown[]; commands: string[] }[];
      worse: unknown[];
    };
    expect(plan.worse).toEqual([]);
    expect(plan.keys.map((k) => [k.key.slice(-4), k.kind])).toEqual([
      ['a004', 'key-state'],
      ['a001', 'policy'],
      ['a002', 'policy'],
      ['a003', 'policy'],
      ['a006', 'new-key'],
    ]);
    expect(plan.keys[1]?.resolves).toHaveLength(1);
  });
});

const INSTALL = "pip install 'cfn-lint==1.58.0' 'python-hcl2==8.1.4'";
const REQUIRED = process.env.CI === 'true';
const toolsAvailable = spawnSync('python3', ['-c', 'import cfnlint, hcl2, yaml'], { stdio: 'ignore' }).status === 0;
if (!toolsAvailable && !REQUIRED)
  console.warn(`skipping the CloudFormation and Terraform checks: cfn-lint or python-hcl2 is not installed (${INSTALL})`);

describe.runIf(toolsAvailable || REQUIRED)('the CloudFormation and Terraform forms, checked by cfn-lint and python-hcl2', () => {
  const validate = (folder: string) => spawnSync('python3', [join(ROOT, 'test', 'fix', 'validate_forms.py'), folder], { encoding: 'utf8' });

  it('every example: cfn-lint passes each template (its KeyPolicy is policy.json) and each Terraform file parses', async () => {
    if (!toolsAvailable) throw new Error(`cfn-lint and python-hcl2 are required when CI=true: ${INSTALL}`);
    const out = join(tempDir(), 'forms');
    await cli(['fix', NON_COMPLIANT, '--out-dir', out]);
    const result = validate(out);
    expect(result.stdout.trim().split('\n')).toHaveLength(8);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // Twin: a template cfn-lint refuses, and Terraform that does not parse, fail the check.
    const folder = join(out, readdirSync(out).find((f) => /^\d\d-/.test(f)) as string);
    writeFileSync(
      join(folder, 'cloudformation.yaml'),
      readFileSync(join(folder, 'cloudformation.yaml'), 'utf8').replace('SYMMETRIC_DEFAULT', 'NOT_A_SPEC'),
    );
    const broken = validate(out);
    expect(broken.status).toBe(1);
    // Only the broken template is blamed.
    expect(broken.stdout.split('\n').filter((l) => l.includes('"ok": false'))).toHaveLength(1);
  }, 120_000);
});
