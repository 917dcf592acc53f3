import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import AjvModule from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { cli, ROOT, resultsOf, tempDir } from '../helpers/cli.js';

// Both are CommonJS modules whose default export TypeScript sees as the module itself under NodeNext.
const Ajv = AjvModule.default;
type AddFormats = typeof import('ajv-formats').default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;
const require = createRequire(import.meta.url);
const sarifSchema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;

const EXAMPLE = 'examples/cloudformation/trail-with-key.yaml';
const FIXTURES = 'test/fixtures/iac';
const AT = ['--account', '111122223333', '--region', 'eu-west-1'];

interface SarifResult {
  ruleId: string;
  kind: string;
  locations: { physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
}

interface Results {
  readonly findings: readonly {
    readonly ruleId: string;
    readonly status: string;
    readonly message: string;
    readonly resource: { readonly id: string; readonly name?: string };
    readonly location?: unknown;
    readonly fix?: { readonly summary: string };
  }[];
}

function sarifResults(text: string): SarifResult[] {
  return (JSON.parse(text) as { runs: { results: SarifResult[] }[] }).runs[0]?.results ?? [];
}

/** Status by rule and trail name, the comparison the issue asks for (key ids differ between a template and an account). */
function statuses(text: string): Record<string, string> {
  const results = resultsOf<Results>(text);
  return Object.fromEntries(results.findings.map((f) => [`${f.ruleId} ${f.resource.name ?? f.resource.id}`, f.status]));
}

/** cfn-lint (installed by .ci/run) finds nothing wrong with the template; without it, only outside CI, this is skipped. */
function cfnLintAccepts(file: string): void {
  if (!lintAvailable && process.env.CI !== 'true') return;
  const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
  expect(lint.status, lint.stdout + lint.stderr).toBe(0);
}

describe('check takes a CloudFormation template directly', () => {
  it('passes the example as deployed to prod, fails it in dev, and SARIF annotates the KeyPolicy line', async () => {
    const prod = await cli(['check', EXAMPLE, ...AT, '--format', 'sarif']);
    expect(prod.code).toBe(0);
    const dev = await cli(['check', EXAMPLE, ...AT, '--parameters', 'Environment=dev', '--format', 'sarif']);
    expect(dev.code).toBe(1);
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    addFormats(ajv);
    expect(ajv.validate(sarifSchema, JSON.parse(dev.stdout)), JSON.stringify(ajv.errors)).toBe(true);
    const failing = sarifResults(dev.stdout).filter((r) => r.kind === 'fail');
    expect(failing.map((r) => r.ruleId)).toEqual(['cloudtrail-key-policy-decrypt']);
    // Line 23 of the example is `      KeyPolicy:` of TrailKey: the line to change.
    expect(failing[0]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: EXAMPLE },
      region: { startLine: 23, startColumn: 7 },
    });
    expect(readFileSync(join(ROOT, EXAMPLE), 'utf8').split('\n')[22]).toBe('      KeyPolicy:');
    // A rule on the trail itself points at the trail's declaration.
    const sse = sarifResults(dev.stdout).find((r) => r.ruleId === 'cloudtrail-sse-kms');
    expect(sse?.locations[0]?.physicalLocation?.region.startLine).toBe(79);
  });

  it('every format says file:line:col', async () => {
    const args = ['check', EXAMPLE, ...AT, '--parameters', 'Environment=dev'];
    const where = `${EXAMPLE}:23:7`;
    const json = await cli([...args, '--format', 'json']);
    expect(resultsOf<Results>(json.stdout).findings.find((f) => f.status === 'fail')).toMatchObject({
      location: { file: EXAMPLE, line: 23, column: 7, resource: 'TrailKey' },
    });
    expect((await cli([...args, '--format', 'markdown'])).stdout).toContain(`In \`${where}\``);
    expect((await cli([...args, '--format', 'markdown-full'])).stdout).toContain(`(in ${where})`);
    expect((await cli([...args, '--format', 'html'])).stdout).toContain(`In <code>${where}</code>`);
    expect((await cli([...args, '--format', 'csv'])).stdout).toContain(where);
    expect((await cli([...args, '--format', 'junit'])).stdout).toContain(`file="${EXAMPLE}" line="23"`);
    expect((await cli([...args, '--format', 'asff'])).stdout).toContain(`"trailguard/location":"${where}"`);
    expect((await cli([...args, '--format', 'ocsf'])).stdout).toContain(`"location":"${where}"`);
  });

  it('import writes the snapshot check would have made: the same verdicts from the template and from the file', async () => {
    const dir = tempDir();
    const out = join(dir, 'snapshot.json');
    const imported = await cli(['import', 'cloudformation', `${FIXTURES}/cloudformation/org-trail.json`, ...AT, '--out', out]);
    expect(imported.code, imported.stderr).toBe(0);
    const snapshot = JSON.parse(readFileSync(out, 'utf8')) as { collection: { source: string; files: { path: string; sha256: string }[] } };
    expect(snapshot.collection.source).toBe('cloudformation');
    expect(snapshot.collection.files[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const fromTemplate = await cli(['check', `${FIXTURES}/cloudformation/org-trail.json`, ...AT, '--format', 'json']);
    const fromSnapshot = await cli(['check', out, '--format', 'json']);
    expect(statuses(fromSnapshot.stdout)).toEqual(statuses(fromTemplate.stdout));
    // CloudTrail may use this key for any trail: the JSON template's slip is caught before deployment.
    expect(statuses(fromTemplate.stdout)['cloudtrail-key-policy-generate-data-key prod-organization-trail']).toBe('fail');
    expect(fromTemplate.code).toBe(1);
  });

  it('a value the template does not settle is unknown with its name; given, it is judged', async () => {
    const app = `${FIXTURES}/cloudformation/app-trail.yaml`;
    const alone = await cli(['check', app, ...AT, '--format', 'json']);
    const findings = resultsOf<Results>(alone.stdout).findings;
    const unknown = findings.filter((f) => f.status === 'unknown').map((f) => f.message);
    expect(
      unknown.some((m) => m.includes('the key is Fn::ImportValue security-CloudTrailKeyArn, which is not settled before deployment')),
    ).toBe(true);
    expect(unknown.some((m) => m.includes('Ref AuditRoleArn') && m.includes('parameter AuditRoleArn has no Default'))).toBe(true);
    expect(unknown.some((m) => m.includes('Ref OrganizationId') && m.includes('SSM parameter /org/id'))).toBe(true);
    // Its own key lets CloudTrail generate data keys with only aws:SourceAccount: any trail of the account, with or
    // without CloudTrail's encryption context: a slip the template shows before deployment.
    expect(findings.find((f) => f.ruleId === 'cloudtrail-key-policy-generate-data-key' && f.status === 'fail')?.message).toContain(
      'app-trail-exports',
    );
    expect(alone.code).toBe(1);
    // Twin: with the exporting stack's template and the parameters, nothing is left unknown.
    const settled = await cli([
      'check',
      app,
      `${FIXTURES}/cloudformation/security-keys.yaml`,
      ...AT,
      '--parameters',
      'AuditRoleArn=arn:aws:iam::111122223333:role/Auditor',
      '--parameters',
      'OrganizationId=o-exampleorg1',
      '--format',
      'json',
    ]);
    const left = resultsOf<Results>(settled.stdout).findings.filter((f) => f.status === 'unknown');
    expect(left.filter((f) => /not settled before deployment|before deployment: it depends on/.test(f.message))).toEqual([]);
    // What is left is what no template can say: whether the reader's account is in the organisation.
    expect(left.map((f) => f.message)).toEqual([
      expect.stringContaining('which does not record aws:PrincipalOrgID: pass if aws:PrincipalOrgID is "o-exampleorg1"'),
    ]);
  });

  it('a trail whose name is not settled is kept, and its policy verdicts are unknown; named, it is judged', async () => {
    const dir = tempDir();
    const template = join(dir, 'unnamed.yaml');
    writeFileSync(
      template,
      [
        'Parameters:',
        '  TrailName: { Type: String }',
        'Resources:',
        '  Key: { Type: AWS::KMS::Key }',
        '  Trail:',
        '    Type: AWS::CloudTrail::Trail',
        '    Properties: { TrailName: !Ref TrailName, S3BucketName: logs, IsLogging: true, KMSKeyId: !GetAtt Key.Arn }',
        '',
      ].join('\n'),
    );
    const open = resultsOf<Results>((await cli(['check', template, ...AT, '--format', 'json'])).stdout).findings;
    expect(open.map((f) => [f.ruleId, f.status])).toEqual([
      ['cloudtrail-sse-kms', 'pass'],
      ['cloudtrail-key-policy-describe-key', 'unknown'],
      ['cloudtrail-key-policy-generate-data-key', 'unknown'],
      ['cloudtrail-key-policy-decrypt', 'unknown'],
      ['cloudtrail-kms-key-state', 'pass'],
    ]);
    expect(open[1]?.message).toContain("the trail's name is Ref TrailName, which the template does not settle");
    // Twin: named, the default key policy (root only) fails CloudTrail's requests.
    const named = resultsOf<Results>(
      (await cli(['check', template, ...AT, '--parameters', 'TrailName=main', '--format', 'json'])).stdout,
    ).findings;
    expect(named.filter((f) => f.status === 'fail').map((f) => f.ruleId)).toEqual([
      'cloudtrail-key-policy-describe-key',
      'cloudtrail-key-policy-generate-data-key',
      'cloudtrail-key-policy-decrypt',
    ]);
  });

  it('a Terraform plan: check reads it directly and points into the plan', async () => {
    const plan = `${FIXTURES}/terraform/policy-document.plan.json`;
    const run = await cli(['check', plan, '--format', 'json']);
    expect(run.code).toBe(0);
    const findings = resultsOf<Results>(run.stdout).findings;
    expect(findings.map((f) => f.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(findings[1]?.location).toMatchObject({ file: plan, resource: 'aws_kms_key.trail' });
    const unknown = await cli(['check', `${FIXTURES}/terraform/jsonencode-unknown.plan.json`, '--format', 'json']);
    const messages = resultsOf<Results>(unknown.stdout)
      .findings.filter((f) => f.status === 'unknown')
      .map((f) => f.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toContain('is not settled before deployment: it is module.audit.aws_kms_key.logs.policy: known only after apply');
  });
});

describe('fix writes the change into the template', () => {
  it('a patch that git apply takes, after which the template passes, and cfn-lint still accepts it', async () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, FIXTURES, 'cloudformation', 'org-trail.json'), join(dir, 'org-trail.json'));
    const fix = await cli(['fix', 'org-trail.json', ...AT, '--out-dir', 'fixes'], { cwd: dir });
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/declared in org-trail\.json:\d+:\d+ \(LogKey\): \$ git apply fixes\/01-[0-9a-f-]+\/template\.patch/);
    const folder = readdirSync(join(dir, 'fixes')).find((f) => /^01-/.test(f)) as string;
    const patch = readFileSync(join(dir, 'fixes', folder, 'template.patch'), 'utf8');
    // Kept statements stay as the template writes them; the new one names the account as the template does.
    expect(patch).toContain('"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"');
    expect(patch).not.toContain('Fn::Join');
    expect(readFileSync(join(dir, 'fixes', folder, 'commands.sh'), 'utf8')).not.toContain('put-key-policy');
    const applied = spawnSync('git', ['apply', join('fixes', folder, 'template.patch')], { cwd: dir, encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);
    const after = await cli(['check', 'org-trail.json', ...AT], { cwd: dir });
    expect(after.code, after.stdout).toBe(0);
    cfnLintAccepts(join(dir, 'org-trail.json'));
  });

  it('a YAML template keeps its !If items and comments; --apply refuses templates', async () => {
    const dir = tempDir();
    cpSync(join(ROOT, EXAMPLE), join(dir, 't.yaml'));
    const fix = await cli(['fix', 't.yaml', ...AT, '--parameters', 'Environment=dev', '--out-dir', 'fixes'], { cwd: dir });
    expect(fix.code).toBe(0);
    const folder = readdirSync(join(dir, 'fixes')).find((f) => /^01-/.test(f)) as string;
    const patch = readFileSync(join(dir, 'fixes', folder, 'template.patch'), 'utf8');
    expect(patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    expect(patch).toContain('+              AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"');
    // The IAM operator Null is written quoted: plain, YAML 1.1 reads it as a null key, which cfn-lint rejects.
    expect(patch).toContain('+              "Null":');
    expect(spawnSync('git', ['apply', join('fixes', folder, 'template.patch')], { cwd: dir }).status).toBe(0);
    cfnLintAccepts(join(dir, 't.yaml'));
    expect((await cli(['check', 't.yaml', ...AT, '--parameters', 'Environment=dev'], { cwd: dir })).code).toBe(0);
    expect((await cli(['check', 't.yaml', ...AT, '--parameters', 'Environment=prod'], { cwd: dir })).code).toBe(0);
    const apply = await cli(['fix', 't.yaml', ...AT, '--apply', '--yes'], { cwd: dir });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toMatch(/^trailguard: --apply writes key policies into an account, and these inputs are templates or plans/);
    expect(existsSync(join(dir, 'fixes', folder, 'template.patch'))).toBe(true);
  });
});

describe('fix gives a KeyPolicy to a key that declares none (KMS gave it the default policy)', () => {
  const trail = (key: string) =>
    `Trail: { Type: AWS::CloudTrail::Trail, Properties: { TrailName: main, S3BucketName: logs, IsLogging: true, KMSKeyId: ${key} } }`;
  const yamlBlock = (properties: string[]) =>
    ['Resources:', '  Key:', '    Type: AWS::KMS::Key', ...properties, `  ${trail('!GetAtt Key.Arn')}`, ''].join('\n');
  const json = (properties: object | undefined) =>
    `${JSON.stringify(
      {
        Resources: {
          Key: { Type: 'AWS::KMS::Key', ...(properties === undefined ? {} : { Properties: properties }) },
          Trail: {
            Type: 'AWS::CloudTrail::Trail',
            Properties: { TrailName: 'main', S3BucketName: 'logs', IsLogging: true, KMSKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } },
          },
        },
      },
      null,
      2,
    )}\n`;
  it.each([
    [
      't.yaml',
      'YAML, Properties without a KeyPolicy',
      yamlBlock(['    Properties:', '      Description: logs # kept', '      EnableKeyRotation: true']),
    ],
    ['t.yaml', 'YAML, no Properties', yamlBlock([])],
    ['t.yaml', 'YAML, a flow mapping', ['Resources:', '  Key: { Type: AWS::KMS::Key }', `  ${trail('!GetAtt Key.Arn')}`, ''].join('\n')],
    ['t.json', 'JSON, Properties without a KeyPolicy', json({ EnableKeyRotation: true })],
    ['t.json', 'JSON, no Properties', json(undefined)],
  ])('%s, %s: a patch git apply takes, after which the template passes and cfn-lint accepts it', async (name, _shape, text) => {
    const dir = tempDir();
    writeFileSync(join(dir, name), text);
    const before = await cli(['check', name, ...AT, '--format', 'json'], { cwd: dir });
    expect(before.code).toBe(1);
    // The failing policy findings point at the key, and say the change is a KeyPolicy to give it.
    const failing = resultsOf<Results>(before.stdout).findings.filter((f) => f.status === 'fail');
    expect(failing.map((f) => (f.location as { resource: string }).resource)).toEqual(['Key', 'Key', 'Key']);
    expect(failing.map((f) => f.fix?.summary)).toEqual(
      failing.map(() => expect.stringContaining('(Key): give it a KeyPolicy there (it declares none')),
    );
    const fix = await cli(['fix', name, ...AT, '--out-dir', 'fixes'], { cwd: dir });
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/\(Key\): \$ git apply fixes\/01-[0-9a-f-]+\/template\.patch/);
    const folder = readdirSync(join(dir, 'fixes')).find((f) => /^01-/.test(f)) as string;
    const patch = readFileSync(join(dir, 'fixes', folder, 'template.patch'), 'utf8');
    // Nothing the template wrote is taken away; the account is the template's own.
    expect(
      patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---') && !/^- *(Key:|"Key"|"Type"|"EnableKeyRotation")/.test(l)),
    ).toEqual([]);
    expect(patch).not.toContain('111122223333');
    const applied = spawnSync('git', ['apply', join('fixes', folder, 'template.patch')], { cwd: dir, encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);
    const after = await cli(['check', name, ...AT], { cwd: dir });
    expect(after.code, after.stdout).toBe(0);
    if (name.endsWith('.yaml') && text.includes('# kept'))
      expect(readFileSync(join(dir, name), 'utf8')).toContain('Description: logs # kept');
    cfnLintAccepts(join(dir, name));
  });

  it('twin: a trail the template leaves unnamed has unknown verdicts, and fix proposes nothing for them, as check says', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 't.yaml'),
      [
        'Parameters:',
        '  TrailName: { Type: String }',
        'Resources:',
        '  Key: { Type: AWS::KMS::Key }',
        `  ${trail('!GetAtt Key.Arn').replace('TrailName: main', 'TrailName: !Ref TrailName')}`,
        '',
      ].join('\n'),
    );
    const fix = await cli(['fix', 't.yaml', ...AT, '--out-dir', 'fixes'], { cwd: dir });
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stdout).toContain('Nothing to fix');
    const named = await cli(['fix', 't.yaml', ...AT, '--parameters', 'TrailName=main', '--out-dir', 'named'], { cwd: dir });
    expect(named.stdout).toContain('3 failing finding(s) resolved by 1 proven fix(es)');
  });
});

describe('bad templates and plans: one located line, exit 2', () => {
  it.each([
    [
      ['check', EXAMPLE],
      /^examples\/cloudformation\/trail-with-key\.yaml: a CloudFormation template is resolved for one account and Region: give --account and --region/,
    ],
    [
      ['check', EXAMPLE, '--account', '1234', '--region', 'eu-west-1'],
      /^trailguard: --account must be a 12-digit account id, found "1234"/,
    ],
    [
      ['check', `${FIXTURES}/terraform/policy-document.plan.json`, '--region', 'Ireland'],
      /^trailguard: --region must be a Region name such as eu-west-1, found "Ireland"/,
    ],
    [['import', 'pulumi', EXAMPLE], /^trailguard: unknown import kind "pulumi": expected cloudformation or terraform-plan/],
    [['import', 'terraform-plan', 'a.json', 'b.json'], /^trailguard: import terraform-plan reads one plan/],
  ])('%j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain('    at ');
  });

  it('a parameters file of the wrong shape is one located line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'params.json'), '[{"ParameterKey": "Environment"}]');
    const run = await cli(['check', EXAMPLE, ...AT, '--parameters', join(dir, 'params.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${join(dir, 'params.json')}:1:2 a parameters list holds {"ParameterKey": NAME, "ParameterValue": VALUE} items, as the AWS CLI writes them [usage]\n`,
    );
    // Twin: the AWS CLI's own shape is read.
    writeFileSync(join(dir, 'params.json'), '[{"ParameterKey": "Environment", "ParameterValue": "dev"}]');
    expect((await cli(['check', EXAMPLE, ...AT, '--parameters', join(dir, 'params.json')])).code).toBe(1);
  });

  it('a syntax error and an unknown tag are reported at their line and column', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'broken.yaml'),
      'Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: !Reff Name\n',
    );
    const run = await cli(['check', join(dir, 'broken.yaml'), ...AT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${join(dir, 'broken.yaml')}:5:20 unknown tag !Reff: CloudFormation's short forms are !Ref, !Condition, !Base64, !Cidr, !FindInMap, !GetAtt, !GetAZs, !ImportValue, !Join, !Select, !Split, !Sub, !Transform, !And, !Equals, !If, !Not, !Or, !ToJsonString, !Length, !ForEach [template-syntax]\n`,
    );
    writeFileSync(join(dir, 'plan.json'), '{"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {"root_module": {}}');
    const plan = await cli(['check', join(dir, 'plan.json')]);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toMatch(/plan\.json:1:\d+ a Terraform plan must be the JSON of terraform show -json/);
  });
});

const LINT_INSTALL = "pip install 'cfn-lint==1.58.0'";
const lintAvailable = spawnSync('cfn-lint', ['--version'], { stdio: 'ignore' }).status === 0;
if (!lintAvailable && process.env.CI !== 'true')
  console.warn(`skipping the cfn-lint check of the template fixtures: cfn-lint is not installed (${LINT_INSTALL})`);

describe.runIf(lintAvailable || process.env.CI === 'true')('the template fixtures are templates CloudFormation takes', () => {
  it('cfn-lint passes every one (W3002, "only works with package", is what a local nested TemplateURL is)', () => {
    if (!lintAvailable) throw new Error(`cfn-lint is required when CI=true: ${LINT_INSTALL}`);
    const dir = join(ROOT, FIXTURES, 'cloudformation');
    const files = [
      ...readdirSync(dir)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .map((f) => join(dir, f)),
      join(dir, 'nested', 'trail-key.yaml'),
      join(ROOT, EXAMPLE),
    ];
    expect(files.length).toBeGreaterThanOrEqual(6);
    const lint = spawnSync('cfn-lint', ['--ignore-checks', 'W3002', '--', ...files], { encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    // Twin: a fixture with a mistake cfn-lint knows fails.
    const broken = join(tempDir(), 'broken.yaml');
    writeFileSync(broken, readFileSync(join(ROOT, EXAMPLE), 'utf8').replace('Type: AWS::KMS::Key', 'Type: AWS::KMS::Kee'));
    expect(spawnSync('cfn-lint', ['--', broken], { encoding: 'utf8' }).status).not.toBe(0);
  }, 120_000);
});
