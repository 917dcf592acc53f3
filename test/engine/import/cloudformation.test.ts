import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unresolvedName } from '../../../engine/core/unresolved.js';
import { importCloudFormation } from '../../../engine/import/cloudformation.js';
import { importTemplates } from '../../../engine/import/import-input.js';
import { parseTemplate } from '../../../engine/import/template-source.js';
import type { SnapshotDocument } from '../../../engine/snapshot/types.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'iac', 'cloudformation');
const AT = { account: '111122223333', region: 'eu-west-1' };

/** One template, written inline, imported for AT. */
function imported(text: string, options: { parameters?: Record<string, unknown>; stackName?: string } = {}): SnapshotDocument {
  const result = importCloudFormation([{ path: 'template.yaml', text, sha256: '0'.repeat(64) }], { ...AT, ...options });
  expect(result.diagnostics).toEqual([]);
  return result.document as SnapshotDocument;
}

/** A key's policy, or an empty one (the test's expectation then fails on what is missing). */
function policyOf(entry: { readonly policy: unknown } | undefined): unknown {
  return entry?.policy ?? { Statement: [] };
}

function onlyKey(document: SnapshotDocument) {
  const [entry] = Object.entries(document.keys);
  return { arn: entry?.[0] as string, key: entry?.[1] };
}

const keyWith = (statement: string, extra = '') => `
Parameters:
  Env: { Type: String, Default: prod }
  Ids: { Type: CommaDelimitedList, Default: "111111111111,222222222222" }
Mappings:
  Readers: { prod: { Role: Auditor }, dev: { Role: Developer } }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - ${statement}
${extra}`;

describe('CloudFormation templates become snapshots', () => {
  it('resolves the intrinsic functions people write in key policies', () => {
    const cases: [string, unknown, Record<string, unknown>?][] = [
      ['!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"', 'arn:aws:iam::111122223333:root'],
      ['!Sub ["arn:aws:iam::${Acct}:role/${Env}", { Acct: !Ref AWS::AccountId }]', 'arn:aws:iam::111122223333:role/prod'],
      ['!Join ["", ["arn:", !Ref AWS::Partition, ":iam::", !Ref AWS::AccountId, ":root"]]', 'arn:aws:iam::111122223333:root'],
      ['!Select [1, !Ref Ids]', '222222222222'],
      ['!Select [0, !Split [",", "a,b"]]', 'a'],
      ['!FindInMap [Readers, !Ref Env, Role]', 'Auditor'],
      ['!FindInMap [Readers, !Ref Env, Role]', 'Developer', { Env: 'dev' }],
      ['!If [IsProd, yes-prod, not-prod]', 'yes-prod'],
      ['!If [IsProd, yes-prod, not-prod]', 'not-prod', { Env: 'dev' }],
      ['!Sub "${!Literal}-${AWS::Region}"', '${Literal}-eu-west-1'],
      [
        '!GetAtt Key.Arn',
        expect.stringMatching(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/),
      ],
    ];
    for (const [expression, value, parameters] of cases) {
      const document = imported(keyWith(`Sid: ${expression}`), parameters === undefined ? {} : { parameters });
      expect({ expression, sid: (policyOf(onlyKey(document).key) as { Statement: { Sid: unknown }[] }).Statement[0]?.Sid }).toEqual({
        expression,
        sid: value,
      });
    }
  });

  it('drops a list item whose !If chooses AWS::NoValue, and keeps it when the condition holds', () => {
    const template = keyWith('!If [IsProd, { Sid: ProdOnly, Effect: Allow }, !Ref AWS::NoValue]');
    const statements = (env: string) =>
      (policyOf(onlyKey(imported(template, { parameters: { Env: env } })).key) as { Statement: unknown[] }).Statement;
    expect(statements('prod')).toEqual([{ Sid: 'ProdOnly', Effect: 'Allow' }]);
    expect(statements('dev')).toEqual([]);
  });

  it('gives a key a placeholder id stable across runs and distinct per logical id, and a trail the ARN CloudTrail records', () => {
    const template = `
Resources:
  KeyA: { Type: AWS::KMS::Key }
  KeyB: { Type: AWS::KMS::Key, Properties: { MultiRegion: true } }
  Alias: { Type: AWS::KMS::Alias, Properties: { AliasName: alias/logs, TargetKeyId: !Ref KeyA } }
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: { TrailName: main, S3BucketName: logs, IsLogging: true, KMSKeyId: alias/logs }
`;
    const first = imported(template);
    const again = imported(template);
    expect(Object.keys(first.keys)).toEqual(Object.keys(again.keys));
    const [a, b] = Object.keys(first.keys) as [string, string];
    expect(a).not.toBe(b);
    expect(b).toMatch(/:key\/mrk-[0-9a-f]{32}$/);
    // The alias is the template's own: the trail records the key it names, as CloudTrail does.
    expect(first.trails[0]).toMatchObject({ Name: 'main', TrailARN: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main', KmsKeyId: a });
    expect(first.keys[a]?.aliases).toEqual(['alias/logs']);
    // Without KeyPolicy, KMS gives the key its default policy.
    expect(first.keys[a]?.policy).toMatchObject({ Statement: [{ Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*' }] });
    // Another account or Region is another key.
    const elsewhere = importCloudFormation([{ path: 'template.yaml', text: template, sha256: '' }], { ...AT, region: 'us-east-1' });
    expect(Object.keys(elsewhere.document?.keys ?? {})).not.toContain(a);
  });

  it('writes what the template cannot settle as a marker naming it, listed with its reason and line', () => {
    const document = imported(
      keyWith(
        'Sid: Readers\n            Principal: { AWS: !ImportValue shared-AuditRoleArn }\n            Condition: { StringEquals: { "aws:PrincipalOrgID": "{{resolve:ssm:/org/id}}" } }',
      ),
    );
    const statement = (policyOf(onlyKey(document).key) as { Statement: Record<string, unknown>[] }).Statement[0] as Record<string, unknown>;
    expect(unresolvedName((statement.Principal as { AWS: unknown }).AWS)).toBe('Fn::ImportValue shared-AuditRoleArn');
    expect(unresolvedName((statement.Condition as { StringEquals: Record<string, unknown> }).StringEquals['aws:PrincipalOrgID'])).toBe(
      '{{resolve:ssm:/org/id}}',
    );
    const records = document.collection?.unresolved ?? [];
    expect(records.map((r) => [r.name, r.line])).toEqual([
      ['Fn::ImportValue shared-AuditRoleArn', 17],
      ['{{resolve:ssm:/org/id}}', 18],
    ]);
    expect(records[0]?.reason).toMatch(/export of another stack.*--parameters shared-AuditRoleArn=VALUE/);
    expect(records[1]?.reason).toMatch(/SSM Parameter Store/);
  });

  it('resolves a parameter given, and names one without value or read from SSM', () => {
    const template = `
Parameters:
  Reader: { Type: String }
  OrgId: { Type: "AWS::SSM::Parameter::Value<String>", Default: /org/id }
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: { Statement: [{ Sid: !Ref Reader, Effect: !Ref OrgId }] }
`;
    const names = (d: SnapshotDocument) => (d.collection?.unresolved ?? []).map((u) => [u.name, u.reason]);
    expect(names(imported(template))).toEqual([
      ['Ref Reader', 'parameter Reader has no Default: give its value with --parameters Reader=VALUE'],
      ['Ref OrgId', 'parameter OrgId names SSM parameter /org/id, read at deployment: give its value with --parameters OrgId=VALUE'],
    ]);
    expect(names(imported(template, { parameters: { Reader: 'r', OrgId: 'o-abc' } }))).toEqual([]);
  });

  it('resolves Fn::ImportValue from an export of another template given with it', async () => {
    const result = await importTemplates([join(FIXTURES, 'app-trail.yaml'), join(FIXTURES, 'security-keys.yaml')], {
      ...AT,
      parameters: { AuditRoleArn: 'arn:aws:iam::111122223333:role/Auditor', OrganizationId: 'o-exampleorg1' },
    });
    const document = result.document as SnapshotDocument;
    const app = document.trails.find((t) => String(t.Name).endsWith('-trail'));
    const securityKey = Object.entries(document.locations ?? {}).find(([, l]) => l.resource === 'CloudTrailKey')?.[0];
    expect(app?.KmsKeyId).toBe(securityKey);
    expect(document.collection?.unresolved ?? []).toEqual([]);
    // A NoEcho parameter is not written into the snapshot; the others are, so the check can be repeated.
    expect(document.collection?.parameters).toEqual({
      AuditRoleArn: 'arn:aws:iam::111122223333:role/Auditor',
      OrganizationId: 'o-exampleorg1',
    });
  });

  it('imports a nested stack from its local TemplateURL, with the parameters its parent passes', async () => {
    const result = await importTemplates([join(FIXTURES, 'nested-parent.yaml')], AT);
    const document = result.document as SnapshotDocument;
    const [keyArn, location] = Object.entries(document.locations ?? {}).find(([, l]) => l.resource === 'Key') ?? [];
    expect(location?.file).toBe(join(FIXTURES, 'nested', 'trail-key.yaml'));
    expect(document.trails[0]?.KmsKeyId).toBe(keyArn);
    const statements = (policyOf(document.keys[keyArn as string]) as { Statement: { Condition?: unknown }[] }).Statement;
    expect(statements[2]?.Condition).toEqual({
      StringEquals: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/nested-trail' },
    });
  });

  it("a replica key has its primary key's id in its own Region, and its own policy", () => {
    const template = `
Parameters:
  PrimaryKeyArn: { Type: String, Default: "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab" }
Resources:
  Replica:
    Type: AWS::KMS::ReplicaKey
    Properties:
      PrimaryKeyArn: !Ref PrimaryKeyArn
      KeyPolicy: { Version: "2012-10-17", Statement: [{ Sid: Root, Effect: Allow, Principal: { AWS: !Sub "arn:aws:iam::\${AWS::AccountId}:root" }, Action: "kms:*", Resource: "*" }] }
`;
    const { arn, key } = onlyKey(imported(template));
    expect(arn).toBe('arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab');
    expect(key?.metadata).toMatchObject({
      MultiRegion: true,
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA' },
      KeyManager: 'CUSTOMER',
    });
    expect(policyOf(key)).toMatchObject({ Statement: [{ Principal: { AWS: 'arn:aws:iam::111122223333:root' } }] });
  });

  it('records where each trail, key, policy and statement is written', () => {
    const text = readFileSync(join(ROOT, 'examples', 'cloudformation', 'trail-with-key.yaml'), 'utf8');
    const document = importCloudFormation([{ path: 'trail-with-key.yaml', text, sha256: '' }], {
      ...AT,
      parameters: { Environment: 'dev' },
    }).document;
    const locations = Object.values(document?.locations ?? {});
    const key = locations.find((l) => l.resource === 'TrailKey');
    expect(key).toMatchObject({ file: 'trail-with-key.yaml', line: 18, column: 3, policy: { line: 23, column: 7 } });
    // The !If item that chose AWS::NoValue in dev writes no statement.
    expect(key?.statements?.map((s) => s.line)).toEqual([27, 33, 50]);
    expect(locations.find((l) => l.resource === 'Trail')).toMatchObject({ line: 79, column: 3 });
  });
});

describe('templates that are not templates, one located line each', () => {
  const problems = (text: string) =>
    importCloudFormation([{ path: 't.yaml', text, sha256: '' }], AT).diagnostics.map(
      (d) => `${d.line}:${d.column} ${d.message} [${d.code}]`,
    );

  it('a YAML syntax error', () => {
    expect(problems('Resources:\n  Key: [unclosed\n')).toEqual([expect.stringMatching(/^3:1 template syntax: .* \[yaml-syntax\]$/)]);
  });

  it('a tag CloudFormation does not define', () => {
    expect(problems('Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties: { Description: !Reff X }\n')).toEqual([
      expect.stringMatching(/^4:32 unknown tag !Reff: CloudFormation's short forms are !Ref, !Condition, .* \[template-syntax\]$/),
    ]);
  });

  it('no Resources, or a resource without a Type', () => {
    expect(problems('AWSTemplateFormatVersion: "2010-09-09"\n')).toEqual([
      '1:1 a CloudFormation template must have a Resources mapping, found none [template-input]',
    ]);
    expect(problems('Resources:\n  Key: { Properties: {} }\n')).toEqual([
      '1:1 resource Key must be a mapping with a Type [template-input]',
    ]);
  });

  it('a YAML alias bomb is refused, not expanded', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
      'Resources: {}',
    ].join('\n');
    expect(problems(bomb)).toEqual([expect.stringMatching(/more than 100 YAML aliases \[template-syntax\]$/)]);
  });

  it('keys are text as CloudFormation reads them: the condition operator Null is "Null", not YAML null', () => {
    const parsed = parseTemplate('t.yaml', 'Condition:\n  Null: { "k": "false" }\n  012: x\n');
    expect(parsed.source?.data).toEqual({ Condition: { Null: { k: 'false' }, '012': 'x' } });
  });
});

const DECODE_INSTALL = "pip install 'cfn-lint==1.58.0'";
const decodeAvailable = spawnSync('python3', ['-c', 'import cfnlint'], { stdio: 'ignore' }).status === 0;
if (!decodeAvailable && process.env.CI !== 'true')
  console.warn(`skipping the comparison with cfn-lint's template reader: cfn-lint is not installed (${DECODE_INSTALL})`);

describe.runIf(decodeAvailable || process.env.CI === 'true')("trailguard reads templates as cfn-lint's maintained reader does", () => {
  it('every fixture and example: the same data, short-form tags as the same intrinsic functions', () => {
    if (!decodeAvailable) throw new Error(`cfn-lint is required when CI=true: ${DECODE_INSTALL}`);
    const files = [
      ...readdirSync(FIXTURES)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .map((f) => join(FIXTURES, f)),
      join(FIXTURES, 'nested', 'trail-key.yaml'),
      join(ROOT, 'examples', 'cloudformation', 'trail-with-key.yaml'),
    ];
    const decoded = spawnSync('python3', [join(import.meta.dirname, 'decode_templates.py'), ...files], { encoding: 'utf8' });
    expect(decoded.status, decoded.stderr).toBe(0);
    const theirs = JSON.parse(decoded.stdout) as Record<string, unknown>;
    for (const file of files) {
      const ours = parseTemplate(file, readFileSync(file, 'utf8')).source?.data;
      expect({ file, data: ours }).toEqual({ file, data: theirs[file] });
    }
    expect(Object.keys(theirs)).toHaveLength(files.length);
  }, 60_000);
});
