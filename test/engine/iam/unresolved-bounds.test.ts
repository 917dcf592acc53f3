import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRules } from '../../../engine/evaluate/evaluate-rule.js';
import type { PolicyCheckResult } from '../../../engine/iam/check-policy.js';
import { relevantNames, unresolvedBounds } from '../../../engine/iam/unresolved-worlds.js';
import { withinBounds } from '../../../engine/operators/iam-policy.js';
import { loadRulePacks } from '../../../engine/rules/load-rules.js';
import { SnapshotSet } from '../../../engine/snapshot/snapshot-set.js';
import { ROOT as REPO } from '../../helpers/cli.js';
import {
  ACCOUNT,
  byRule,
  ENABLED_KEY_METADATA,
  KEY_ARN,
  OTHER_ACCOUNT,
  runBuiltIn,
  snapshot,
  TRAIL_ARN,
  trail,
} from '../../helpers/engine.js';

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

  it('a pass that holds whatever the value is stands: another statement grants the request anyway', async () => {
    const extra = {
      ...DESCRIBE,
      Sid: 'DescribeFromPipeline',
      Condition: { StringEquals: { 'aws:SourceAccount': U('Ref PipelineAccount') } },
    };
    const result = await verdicts([ROOT, DESCRIBE, extra, encrypt(CONFINED), decrypt(READER)]);
    expect(result.describe?.status).toBe('pass');
    expect(result.describe?.evidence.assertions?.[0]?.reason).toContain('(whatever Ref PipelineAccount turns out to be)');
    // Twin: without the statement that grants it anyway, the value decides.
    expect((await verdicts([ROOT, extra, encrypt(CONFINED), decrypt(READER)])).describe?.status).toBe('unknown');
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

describe('a policy query (iam-grantees) over unresolved values: who may decrypt the logs', () => {
  async function foreignDecrypt(statements: readonly unknown[]) {
    const [pack] = await loadRulePacks([join(REPO, 'examples', 'audit-pack')]);
    const rule = pack?.rules.filter((r) => r.info.id === 'trail-key-no-foreign-decrypt') ?? [];
    const keys = { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy: { Version: '2012-10-17', Statement: statements } } };
    const set = new SnapshotSet([snapshot({ trails: [trail()], keys, collection: { source: 'cloudformation' } })]);
    return [...evaluateRules(rule, set)].find((f) => f.resource.id === TRAIL_ARN);
  }
  const denyOutside = (account: string) => ({
    Sid: 'Outside',
    Effect: 'Deny',
    Principal: '*',
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:PrincipalAccount': account } },
  });

  it('an unresolved reader is unknown, naming it; settled in the account it passes, in another account it fails', async () => {
    const open = await foreignDecrypt([ROOT, decrypt(U('Ref AuditRoleArn'))]);
    expect(open?.status).toBe('unknown');
    expect(open?.message).toContain('it depends on Ref AuditRoleArn');
    expect((await foreignDecrypt([ROOT, decrypt(READER)]))?.status).toBe('pass');
    const foreign = await foreignDecrypt([ROOT, decrypt(`arn:aws:iam::${OTHER_ACCOUNT}:role/LogReader`)]);
    expect(foreign?.status).toBe('fail');
    expect(foreign?.message).toContain(`grants kms:Decrypt to arn:aws:iam::${OTHER_ACCOUNT}:role/LogReader`);
  });

  it('a Deny on an unresolved value cannot settle a grant it may not cover; settled to cover it, it passes', async () => {
    const foreignReader = decrypt(`arn:aws:iam::${OTHER_ACCOUNT}:role/LogReader`);
    const open = await foreignDecrypt([ROOT, foreignReader, denyOutside(U('Ref TrustedAccount'))]);
    expect(open?.status).toBe('unknown');
    expect(open?.message).toContain('it depends on Ref TrustedAccount');
    expect((await foreignDecrypt([ROOT, foreignReader, denyOutside(ACCOUNT)]))?.status).toBe('pass');
  });

  it('a value in a statement for other actions bears on nothing: the verdict stands', async () => {
    const admin = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: U('Ref AdminRoleArn') }, Action: 'kms:PutKeyPolicy', Resource: '*' };
    const settled = await foreignDecrypt([ROOT, decrypt(READER), admin]);
    expect(settled?.status).toBe('pass');
    // Twin: the same value on the decrypt grant bears on it.
    expect((await foreignDecrypt([ROOT, decrypt(READER), { ...admin, Action: 'kms:Decrypt' }]))?.status).toBe('unknown');
  });
});

describe('withinBounds: which verdicts the two bounds settle', () => {
  const result = (status: 'pass' | 'fail' | 'unknown', evidence: Record<string, unknown> = {}): PolicyCheckResult => ({
    status,
    reason: `${status} reason`,
    evidence: { decision: 'allowed', ...evidence } as PolicyCheckResult['evidence'],
  });
  const granted = result('pass');
  const notGranted = result('fail', { decision: 'not-allowed' });
  const leaking = result('fail', {
    decision: 'allowed',
    probes: [
      { name: 'without', allowed: false },
      { name: 'other account', allowed: true },
    ],
  });
  const blockedNoLeak = result('fail', { decision: 'allowed', probes: [{ name: 'without', allowed: false }] });
  const reasons = (name: string) => (name === 'X' ? 'why X' : undefined);
  const judge = (expectation: 'allowed' | 'not-allowed', names: string[], permissive: PolicyCheckResult, restrictive: PolicyCheckResult) =>
    withinBounds(
      expectation,
      names,
      () => permissive,
      () => restrictive,
      reasons,
    );
  const bounds = { granted, notGranted, leaking, blockedNoLeak };
  type Bound = keyof typeof bounds;

  it.each([
    // [expect, permissive, restrictive, verdict] — each row is next to its twin that comes out the other way.
    ['allowed', 'granted', 'granted', 'pass'],
    ['allowed', 'granted', 'notGranted', 'unknown'],
    ['allowed', 'notGranted', 'notGranted', 'fail'],
    ['allowed', 'leaking', 'notGranted', 'unknown'],
    ['allowed', 'leaking', 'leaking', 'fail'],
    ['allowed', 'leaking', 'blockedNoLeak', 'unknown'],
    ['not-allowed', 'granted', 'notGranted', 'pass'],
    ['not-allowed', 'notGranted', 'granted', 'unknown'],
    ['not-allowed', 'notGranted', 'notGranted', 'fail'],
  ] as const)('expect %s: permissive %s, restrictive %s → %s', (expectation, permissive, restrictive, verdict) => {
    expect(judge(expectation, ['X'], bounds[permissive as Bound], bounds[restrictive as Bound]).status).toBe(verdict);
  });

  it('says what it settled, with every value and why, and keeps them in the evidence', () => {
    const one = judge('allowed', ['X'], granted, granted);
    expect(one.reason).toBe('pass reason (whatever X turns out to be)');
    expect(one.evidence.unresolved).toEqual([{ name: 'X', reason: 'why X' }]);
    const two = judge('allowed', ['X', 'Y'], notGranted, notGranted);
    expect(two.reason).toBe('fail reason (whatever X, Y turn out to be)');
    expect(two.evidence.unresolved).toEqual([
      { name: 'X', reason: 'why X' },
      { name: 'Y', reason: 'a value the imported file does not settle' },
    ]);
    const open = judge('allowed', ['X'], granted, notGranted);
    expect(open.reason).toBe(
      'cannot be decided before deployment: it depends on X (why X). At its most permissive the policy passes; at its most restrictive it fails',
    );
    // The evidence shown is the bound that did not pass: it names what is missing.
    expect(open.evidence.decision).toBe('not-allowed');
    const undecided = judge('allowed', ['X'], result('unknown', { decision: 'not-allowed' }), granted);
    expect(undecided.reason).toMatch(/most permissive the policy is itself undecided; at its most restrictive it passes$/);
    expect(undecided.evidence.decision).toBe('not-allowed');
    expect(judge('allowed', ['X', 'Y'], granted, notGranted).reason).toMatch(
      /^cannot be decided before deployment: it depends on X \(why X\); Y \(a value the imported file does not settle\)\. /,
    );
  });

  it('with no value bearing on the request, the policy is judged once, as it is', () => {
    let restrictiveJudged = false;
    const verdict = withinBounds(
      'allowed',
      [],
      () => notGranted,
      () => {
        restrictiveJudged = true;
        return granted;
      },
      reasons,
    );
    expect(verdict).toBe(notGranted);
    expect(restrictiveJudged).toBe(false);
  });
});

describe('unresolvedBounds: edges', () => {
  it('is computed once per policy object, and only for objects', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Sid: U('s'), Effect: 'Allow' }] };
    expect(unresolvedBounds(policy)).toBe(unresolvedBounds(policy));
    expect(unresolvedBounds(null)).toBeUndefined();
    expect(unresolvedBounds(U('whole policy'))).toBeUndefined();
  });

  it('a statement unresolved as a whole is Allow everything at most and Deny everything at least', () => {
    for (const whole of [U('Fn::If IsProd'), { Sid: 'x', Effect: U('Ref Effect') }, [U('nested')]]) {
      const bounds = unresolvedBounds({ Version: '2012-10-17', Statement: [whole] });
      const first = (b: unknown) => (b as { Statement: unknown[] }).Statement[0];
      expect(first(bounds?.permissive)).toEqual({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' });
      expect(first(bounds?.restrictive)).toEqual({ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' });
    }
  });

  it('a widened statement loses only the Not- entries and condition keys that are unresolved', () => {
    const allow = {
      Sid: 'A',
      Effect: 'Allow',
      NotPrincipal: { AWS: U('n1'), Service: ['s.amazonaws.com', U('n2')] },
      NotAction: [U('a1')],
      NotResource: U('r1'),
      Principal: '*',
      Condition: { StringEquals: { 'aws:x': U('c1') }, StringLike: { 'aws:y': 'kept', 'aws:z': [U('c2'), 'v'] }, Bogus: 'not a block' },
    };
    const bounds = unresolvedBounds({ Version: '2012-10-17', Statement: [allow] });
    expect(((bounds?.permissive ?? { Statement: [] }) as { Statement: unknown[] }).Statement[0]).toEqual({
      Sid: 'A',
      Effect: 'Allow',
      NotPrincipal: { Service: ['s.amazonaws.com'] },
      NotAction: 'trailguard:UnresolvedStatement',
      NotResource: 'arn:aws:trailguard:::unresolved',
      Principal: '*',
      Condition: { StringLike: { 'aws:y': 'kept' } },
    });
    const onlyUnresolvedCondition = { ...allow, NotPrincipal: { AWS: [U('n3')] }, Condition: { StringEquals: { 'aws:x': U('c1') } } };
    const narrow = unresolvedBounds({ Version: '2012-10-17', Statement: [onlyUnresolvedCondition] });
    const widened = ((narrow?.permissive ?? { Statement: [] }) as { Statement: Record<string, unknown>[] }).Statement[0];
    expect(widened?.NotPrincipal).toEqual({ AWS: 'arn:aws:iam::000000000000:root' });
    expect(widened && 'Condition' in widened).toBe(false);
  });

  it('a Deny is widened for the requests it may cover; names bear on a request when one of its actions is covered', () => {
    const deny = { Sid: 'D', Effect: 'Deny', Principal: '*', NotAction: ['kms:Decrypt', U('more')], Resource: '*' };
    const allow = { Sid: 'A', Effect: 'Allow', Principal: { AWS: U('who') }, Action: 'kms:Decrypt', Resource: '*' };
    const bounds = unresolvedBounds({ Version: '2012-10-17', Statement: [deny, allow] }) as NonNullable<
      ReturnType<typeof unresolvedBounds>
    >;
    // Widened, the Deny covers every action but kms:Decrypt.
    expect(relevantNames(bounds, ['kms:DescribeKey'])).toEqual(['more']);
    expect(relevantNames(bounds, ['kms:Decrypt'])).toEqual(['who']);
    expect(relevantNames(bounds, ['kms:DescribeKey', 'kms:Decrypt'])).toEqual(['more', 'who']);
    expect(relevantNames(bounds, ['kms:Encrypt'])).toEqual(['more']);
  });
});
