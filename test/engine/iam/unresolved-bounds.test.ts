import { describe, expect, it } from 'vitest';
import { relevantNames, unresolvedBounds } from '../../../engine/iam/unresolved-worlds.js';
import { ACCOUNT, byRule, ENABLED_KEY_METADATA, KEY_ARN, runBuiltIn, snapshot, trail } from '../../helpers/engine.js';

/**
 * Values an imported template does not settle (`<unresolved: NAME>`) decide nothing: a verdict that rests on one is
 * unknown and names it; a verdict that holds whatever it is stands. Each row has a twin that must come out the
 * other way: the same policy with the value settled, or with the value somewhere it cannot matter.
 */
const U = (name: string) => `<unresolved: ${name}>`;
const ROOT = { Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const DESCRIBE = {
  Sid: 'Describe',
  Effect: 'Allow',
  Principal: { Service: 'cloudtrail.amazonaws.com' },
  Action: 'kms:DescribeKey',
  Resource: '*',
};
const encrypt = (pattern: string) => ({
  Sid: 'Encrypt',
  Effect: 'Allow',
  Principal: { Service: 'cloudtrail.amazonaws.com' },
  Action: 'kms:GenerateDataKey*',
  Resource: '*',
  Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': pattern } },
});
const decrypt = (principal: string) => ({
  Sid: 'Readers',
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: 'kms:Decrypt',
  Resource: '*',
  Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
});
const CONFINED = `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`;
const READER = `arn:aws:iam::${ACCOUNT}:role/LogReader`;

async function verdicts(statements: readonly unknown[], unresolved: Record<string, string> = {}) {
  const findings = await runBuiltIn([
    snapshot({
      trails: [trail()],
      keys: { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy: { Version: '2012-10-17', Statement: statements } } },
      collection: {
        source: 'cloudformation',
        unresolved: Object.entries(unresolved).map(([name, reason]) => ({ name, reason, at: '/keys', file: 't.yaml', line: 1, column: 1 })),
      },
    }),
  ]);
  const rules = byRule(findings);
  return {
    describe: rules['cloudtrail-key-policy-describe-key'],
    generate: rules['cloudtrail-key-policy-generate-data-key'],
    decrypt: rules['cloudtrail-key-policy-decrypt'],
  };
}

describe('unresolved values in a key policy', () => {
  it('an unresolved confinement pattern makes generate-data-key unknown, naming it and why; settled, it passes', async () => {
    const open = await verdicts([ROOT, DESCRIBE, encrypt(U('Fn::ImportValue shared-TrailPattern')), decrypt(READER)], {
      'Fn::ImportValue shared-TrailPattern': 'an export of another stack',
    });
    expect(open.generate?.status).toBe('unknown');
    expect(open.generate?.message).toContain('it depends on Fn::ImportValue shared-TrailPattern (an export of another stack)');
    expect(open.generate?.message).toContain('At its most permissive the policy fails; at its most restrictive it fails');
    // The value bears on GenerateDataKey only: DescribeKey and Decrypt stand.
    expect([open.describe?.status, open.decrypt?.status]).toEqual(['pass', 'pass']);
    const settled = await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(READER)]);
    expect(settled.generate?.status).toBe('pass');
  });

  it('an unresolved reader makes decrypt unknown; a settled reader passes', async () => {
    const open = await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(U('Ref AuditRoleArn'))]);
    expect(open.decrypt?.status).toBe('unknown');
    expect(open.decrypt?.message).toContain('it depends on Ref AuditRoleArn (a value the imported file does not settle)');
    expect((await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(READER)])).decrypt?.status).toBe('pass');
  });

  it('a verdict that holds whatever the value is stands, and says so', async () => {
    // An administrator from another stack is in a statement for other actions: it cannot bear on CloudTrail's requests.
    const admin = {
      Sid: 'Admins',
      Effect: 'Allow',
      Principal: { AWS: U('Fn::ImportValue shared-AdminRole') },
      Action: ['kms:Create*', 'kms:Put*'],
      Resource: '*',
    };
    const result = await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(READER), admin]);
    expect([result.describe?.status, result.generate?.status, result.decrypt?.status]).toEqual(['pass', 'pass', 'pass']);
    // Twin: the same value in a statement that covers DescribeKey bears on it.
    const broad = {
      ...admin,
      Action: ['kms:Describe*', 'kms:Put*'],
      Condition: { StringEquals: { 'aws:SourceAccount': U('Ref OtherAccount') } },
    };
    const twin = await verdicts([ROOT, encrypt(CONFINED), decrypt(READER), broad]);
    expect(twin.describe?.status).toBe('unknown');
  });

  it('a fail that holds whatever the value is stands: no statement grants the request even at its most permissive', async () => {
    // Nothing lets CloudTrail describe the key, whatever the unresolved reader is.
    const result = await verdicts([ROOT, encrypt(CONFINED), decrypt(U('Ref AuditRoleArn'))]);
    expect(result.describe?.status).toBe('fail');
    // A probe granted even at the most restrictive reading fails too: kms:* to CloudTrail without a condition.
    const open = { Sid: 'Open', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:*', Resource: '*' };
    const leaking = await verdicts([ROOT, DESCRIBE, open, encrypt(U('Ref Pattern')), decrypt(READER)]);
    expect(leaking.generate?.status).toBe('fail');
    expect(leaking.generate?.message).toContain('whatever Ref Pattern turns out to be');
  });

  it('an unresolved Deny condition: unknown whether it blocks; without the Deny, the verdict passes', async () => {
    const deny = {
      Sid: 'DenyOutsideOrg',
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalOrgID': U('Ref OrgId') }, Bool: { 'aws:PrincipalIsAWSService': 'false' } },
    };
    const result = await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(READER), deny]);
    expect(result.decrypt?.status).toBe('unknown');
    expect(result.decrypt?.message).toContain('Ref OrgId');
    expect(result.decrypt?.evidence.assertions?.[0]?.details).toMatchObject({ unresolved: [{ name: 'Ref OrgId' }] });
  });

  it('a statement unresolved as a whole may allow or deny anything', async () => {
    const result = await verdicts([ROOT, DESCRIBE, encrypt(CONFINED), decrypt(READER), U('Fn::If IsProd')]);
    expect([result.describe?.status, result.generate?.status, result.decrypt?.status]).toEqual(['unknown', 'unknown', 'unknown']);
  });
});

describe('the bounds of a policy', () => {
  it('widen an Allow and drop a Deny in the permissive bound, and the other way round in the restrictive one', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'A',
          Effect: 'Allow',
          Principal: { AWS: U('p') },
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { 'aws:x': U('c'), 'aws:y': 'kept' } },
        },
        { Sid: 'D', Effect: 'Deny', NotPrincipal: { AWS: [U('n'), 'arn:aws:iam::111122223333:root'] }, Action: 'kms:*', Resource: '*' },
        ROOT,
      ],
    };
    const bounds = unresolvedBounds(policy);
    expect(bounds?.names).toEqual(['p', 'c', 'n']);
    const [allowWide, denyInert] = ((bounds?.permissive ?? { Statement: [] }) as { Statement: Record<string, unknown>[] }).Statement;
    expect(allowWide).toEqual({
      Sid: 'A',
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:y': 'kept' } },
    });
    expect(denyInert?.Action).toBe('trailguard:UnresolvedStatement');
    const [allowInert, denyWide, root] = ((bounds?.restrictive ?? { Statement: [] }) as { Statement: Record<string, unknown>[] }).Statement;
    expect(allowInert?.Action).toBe('trailguard:UnresolvedStatement');
    expect(denyWide?.NotPrincipal).toEqual({ AWS: ['arn:aws:iam::111122223333:root'] });
    expect(root).toBe(ROOT);
    expect(relevantNames(bounds as NonNullable<typeof bounds>, ['kms:Decrypt'])).toEqual(['p', 'c', 'n']);
    expect(relevantNames(bounds as NonNullable<typeof bounds>, ['kms:DescribeKey'])).toEqual(['n']);
  });

  it('a policy without markers has no bounds: it is judged as it is', () => {
    expect(unresolvedBounds({ Version: '2012-10-17', Statement: [ROOT] })).toBeUndefined();
  });
});
