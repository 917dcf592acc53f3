import { describe, expect, it } from 'vitest';
import { checkPolicy, type Expectation } from '../../../engine/iam/check-policy.js';
import { CONDITION_OPERATOR_NAMES } from '../../../engine/iam/condition-operators.js';
import { evaluateCondition } from '../../../engine/iam/evaluate-condition.js';
import { evaluatePolicy, makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { ContextValue, RequestPrincipal } from '../../../engine/iam/types.js';

/**
 * The IAM grammar as twin rows: every row has a request that must satisfy it and one that must not, so each
 * behaviour is pinned from both sides (a row that is true for every request would pass a one-sided test).
 */
type Context = Record<string, ContextValue>;
type Twin = readonly [name: string, condition: Record<string, Record<string, unknown>>, holds: Context, fails: Context];

const TRAIL = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k';

const CONDITION_TWINS: readonly Twin[] = [
  [
    'StringEquals',
    { StringEquals: { 'aws:SourceAccount': '111122223333' } },
    { 'aws:SourceAccount': '111122223333' },
    { 'aws:SourceAccount': '444455556666' },
  ],
  ['StringEquals: * is literal', { StringEquals: { 'aws:SourceArn': 'arn:*' } }, { 'aws:SourceArn': 'arn:*' }, { 'aws:SourceArn': TRAIL }],
  [
    'StringNotEquals',
    { StringNotEquals: { 'aws:SourceAccount': '444455556666' } },
    { 'aws:SourceAccount': '111122223333' },
    { 'aws:SourceAccount': '444455556666' },
  ],
  [
    'StringEqualsIgnoreCase',
    { StringEqualsIgnoreCase: { 'aws:UserAgent': 'AWS-CLI' } },
    { 'aws:UserAgent': 'aws-cli' },
    { 'aws:UserAgent': 'aws-sdk' },
  ],
  [
    'StringNotEqualsIgnoreCase',
    { StringNotEqualsIgnoreCase: { 'aws:UserAgent': 'AWS-CLI' } },
    { 'aws:UserAgent': 'aws-sdk' },
    { 'aws:UserAgent': 'aws-cli' },
  ],
  [
    'StringLike',
    { StringLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } },
    { 'aws:SourceArn': TRAIL },
    { 'aws:SourceArn': TRAIL.replace('111122223333', '444455556666') },
  ],
  [
    'StringLike: ? is one character',
    { StringLike: { 'aws:SourceAccount': '11112222333?' } },
    { 'aws:SourceAccount': '111122223333' },
    { 'aws:SourceAccount': '1111222233' },
  ],
  [
    'StringNotLike',
    { StringNotLike: { 'aws:SourceAccount': '4444*' } },
    { 'aws:SourceAccount': '111122223333' },
    { 'aws:SourceAccount': '444455556666' },
  ],
  [
    'NumericEquals',
    { NumericEquals: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '3600' },
    { 'aws:MultiFactorAuthAge': '3601' },
  ],
  [
    'NumericNotEquals',
    { NumericNotEquals: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '1' },
    { 'aws:MultiFactorAuthAge': '3600' },
  ],
  [
    'NumericLessThan',
    { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '3599' },
    { 'aws:MultiFactorAuthAge': '3600' },
  ],
  [
    'NumericLessThanEquals',
    { NumericLessThanEquals: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '3600' },
    { 'aws:MultiFactorAuthAge': '3601' },
  ],
  [
    'NumericGreaterThan',
    { NumericGreaterThan: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '3601' },
    { 'aws:MultiFactorAuthAge': '3600' },
  ],
  [
    'NumericGreaterThanEquals',
    { NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': '3600' } },
    { 'aws:MultiFactorAuthAge': '3600' },
    { 'aws:MultiFactorAuthAge': '3599' },
  ],
  [
    'Numeric: not a number never matches',
    { NumericLessThan: { 'aws:MultiFactorAuthAge': '10' } },
    { 'aws:MultiFactorAuthAge': '9' },
    { 'aws:MultiFactorAuthAge': 'soon' },
  ],
  [
    'DateEquals',
    { DateEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
    { 'aws:CurrentTime': '2026-01-01T00:00:01Z' },
  ],
  [
    'DateNotEquals',
    { DateNotEquals: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2027-01-01T00:00:00Z' },
    { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
  ],
  [
    'DateLessThan',
    { DateLessThan: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2026-05-31T23:59:59Z' },
    { 'aws:CurrentTime': '2026-06-01T00:00:00Z' },
  ],
  [
    'DateLessThanEquals',
    { DateLessThanEquals: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2026-06-01T00:00:00Z' },
    { 'aws:CurrentTime': '2026-06-01T00:00:01Z' },
  ],
  [
    'DateGreaterThan',
    { DateGreaterThan: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2026-06-01T00:00:01Z' },
    { 'aws:CurrentTime': '2026-06-01T00:00:00Z' },
  ],
  [
    'DateGreaterThanEquals',
    { DateGreaterThanEquals: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } },
    { 'aws:CurrentTime': '2026-06-01T00:00:00Z' },
    { 'aws:CurrentTime': '2026-05-31T23:59:59Z' },
  ],
  [
    'Date: epoch seconds',
    { DateGreaterThan: { 'aws:EpochTime': '1780000000' } },
    { 'aws:EpochTime': '1780000001' },
    { 'aws:EpochTime': '1779999999' },
  ],
  ['Bool', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' }, { 'aws:SecureTransport': 'false' }],
  [
    'Bool: a JSON boolean value',
    { Bool: { 'aws:SecureTransport': false } },
    { 'aws:SecureTransport': 'false' },
    { 'aws:SecureTransport': 'true' },
  ],
  [
    'BinaryEquals',
    { BinaryEquals: { 'aws:RequestTag/blob': 'QmluYXJ5' } },
    { 'aws:RequestTag/blob': 'QmluYXJ5' },
    { 'aws:RequestTag/blob': 'QmluYXJ6' },
  ],
  ['IpAddress', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '10.1.2.3' }, { 'aws:SourceIp': '11.1.2.3' }],
  [
    'IpAddress: IPv6',
    { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } },
    { 'aws:SourceIp': '2001:db8::1' },
    { 'aws:SourceIp': '2001:db9::1' },
  ],
  ['NotIpAddress', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '11.1.2.3' }, { 'aws:SourceIp': '10.1.2.3' }],
  [
    'ArnEquals (wildcards per field)',
    { ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } },
    { 'aws:SourceArn': TRAIL },
    { 'aws:SourceArn': 'arn:aws:s3:::bucket' },
  ],
  [
    'ArnLike',
    { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:us-*:*:trail/main' } },
    { 'aws:SourceArn': TRAIL },
    { 'aws:SourceArn': TRAIL.replace('us-east-1', 'eu-west-1') },
  ],
  [
    'ArnLike: * does not span a colon (StringLike would)',
    { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:*:trail/main' } },
    { 'aws:SourceArn': TRAIL },
    { 'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:111122223333:extra:trail/main' },
  ],
  [
    'ArnNotEquals',
    { ArnNotEquals: { 'aws:SourceArn': TRAIL } },
    { 'aws:SourceArn': TRAIL.replace('main', 'other') },
    { 'aws:SourceArn': TRAIL },
  ],
  [
    'ArnNotLike',
    { ArnNotLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:444455556666:*' } },
    { 'aws:SourceArn': TRAIL },
    { 'aws:SourceArn': TRAIL.replace('111122223333', '444455556666') },
  ],
  ['Null true: absent', { Null: { 'aws:SourceVpce': 'true' } }, {}, { 'aws:SourceVpce': 'vpce-1' }],
  [
    'Null false: present',
    { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': false } },
    { 'kms:EncryptionContext:aws:cloudtrail:arn': TRAIL },
    {},
  ],
  ['absent key: positive operator false', { StringEquals: { 'aws:SourceVpce': 'vpce-1' } }, { 'aws:SourceVpce': 'vpce-1' }, {}],
  ['absent key: negated operator true', { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } }, {}, { 'aws:SourceVpce': 'vpce-1' }],
  ['IfExists: absent is true', { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1' } }, {}, { 'aws:SourceVpce': 'vpce-2' }],
  [
    'BoolIfExists (the TLS guard)',
    { BoolIfExists: { 'aws:SecureTransport': 'false' } },
    { 'aws:SecureTransport': 'false' },
    { 'aws:SecureTransport': 'true' },
  ],
  [
    'ForAnyValue: one value matches',
    { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 's3.amazonaws.com' } },
    { 'aws:CalledVia': ['athena.amazonaws.com', 's3.amazonaws.com'] },
    {},
  ],
  [
    'ForAnyValue: none matches',
    { 'ForAnyValue:StringLike': { 'aws:CalledVia': 's3*' } },
    { 'aws:CalledVia': ['s3.amazonaws.com'] },
    { 'aws:CalledVia': ['athena.amazonaws.com'] },
  ],
  ['ForAllValues: absent is true', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }, {}, { 'aws:TagKeys': ['team', 'cost'] }],
  [
    'ForAllValues: every value must match',
    { 'ForAllValues:StringLike': { 'aws:TagKeys': 't*' } },
    { 'aws:TagKeys': ['team', 'tier'] },
    { 'aws:TagKeys': ['team', 'cost'] },
  ],
  [
    'values of one key are ORed',
    { StringEquals: { 'aws:SourceAccount': ['444455556666', '111122223333'] } },
    { 'aws:SourceAccount': '111122223333' },
    { 'aws:SourceAccount': '777788889999' },
  ],
  [
    'keys of one operator are ANDed',
    { StringEquals: { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': TRAIL } },
    { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': TRAIL },
    { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': `${TRAIL}x` },
  ],
  [
    'operators are ANDed',
    { StringEquals: { 'aws:SourceAccount': '111122223333' }, Bool: { 'aws:SecureTransport': 'true' } },
    { 'aws:SourceAccount': '111122223333', 'aws:SecureTransport': 'true' },
    { 'aws:SourceAccount': '111122223333', 'aws:SecureTransport': 'false' },
  ],
  [
    'key names are case-insensitive',
    { StringEquals: { 'AWS:SourceAccount': '111122223333' } },
    { 'aws:sourceaccount': '111122223333' },
    { 'aws:sourceaccount': '444455556666' },
  ],
  [
    'values are case-sensitive',
    { StringEquals: { 'aws:PrincipalTag/team': 'Audit' } },
    { 'aws:PrincipalTag/team': 'Audit' },
    { 'aws:PrincipalTag/team': 'audit' },
  ],
  [
    'policy variable',
    { StringEquals: { 'aws:SourceAccount': '${aws:PrincipalAccount}' } },
    { 'aws:SourceAccount': '111122223333', 'aws:PrincipalAccount': '111122223333' },
    { 'aws:SourceAccount': '111122223333', 'aws:PrincipalAccount': '444455556666' },
  ],
  [
    'policy variable whose key is absent matches nothing',
    { StringLike: { 'aws:SourceArn': '${aws:username}*' } },
    { 'aws:SourceArn': 'bob-trail', 'aws:username': 'bob' },
    { 'aws:SourceArn': 'bob-trail' },
  ],
  [
    '${*} is a literal * in StringLike',
    { StringLike: { 'aws:SourceArn': 'a${*}b' } },
    { 'aws:SourceArn': 'a*b' },
    { 'aws:SourceArn': 'axxb' },
  ],
  [
    '${?} is a literal ? in StringLike',
    { StringLike: { 'aws:SourceArn': 'a${?}b' } },
    { 'aws:SourceArn': 'a?b' },
    { 'aws:SourceArn': 'axb' },
  ],
  ['${$} is a literal $', { StringEquals: { 'aws:SourceArn': 'a${$}b' } }, { 'aws:SourceArn': 'a$b' }, { 'aws:SourceArn': 'a${$}b' }],
  [
    '${*} is a literal * in ArnLike',
    { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:${*}:111122223333:trail/main' } },
    { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/main' },
    { 'aws:SourceArn': TRAIL },
  ],
  [
    'a substituted value is literal text',
    { StringLike: { 'aws:SourceArn': 'logs-${aws:username}' } },
    { 'aws:SourceArn': 'logs-a*', 'aws:username': 'a*' },
    { 'aws:SourceArn': 'logs-abc', 'aws:username': 'a*' },
  ],
];

function holds(condition: Record<string, Record<string, unknown>>, context: Context, version = '2012-10-17'): boolean {
  const policy = parsePolicy({
    Version: version,
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: condition }],
  });
  const statement = policy.statements[0];
  expect(statement?.problems).toEqual([]);
  const map = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return (statement?.conditions ?? []).every((c) => evaluateCondition(c, map));
}

describe('condition grammar, twin rows', () => {
  it.each(CONDITION_TWINS)('%s: true for one request, false for its twin', (_, condition, yes, no) => {
    expect(holds(condition, yes)).toBe(true);
    expect(holds(condition, no)).toBe(false);
  });

  it('every condition operator has a twin row (with and without its IfExists form where it has one)', () => {
    const covered = new Set(
      CONDITION_TWINS.flatMap(([, condition]) =>
        Object.keys(condition).map((op) => op.replace(/^For(Any|All)Value(s)?:/, '').replace(/IfExists$/, '')),
      ),
    );
    expect(CONDITION_OPERATOR_NAMES.filter((name) => !covered.has(name))).toEqual([]);
  });

  it('Version 2008-10-17 has no policy variables: ${…} is literal text there', () => {
    const condition = { StringEquals: { 'aws:SourceArn': '${aws:username}' } };
    expect(holds(condition, { 'aws:SourceArn': '${aws:username}', 'aws:username': 'bob' }, '2008-10-17')).toBe(true);
    expect(holds(condition, { 'aws:SourceArn': 'bob', 'aws:username': 'bob' }, '2008-10-17')).toBe(false);
  });
});

const CLOUDTRAIL: RequestPrincipal = { kind: 'service', name: 'cloudtrail.amazonaws.com' };
const ROOT: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::111122223333:root', account: '111122223333' };
const ROLE: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/reader', account: '111122223333' };
const OUTSIDER: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::444455556666:role/x', account: '444455556666' };

/** [name, Principal element, effect, callers it covers, callers it does not]. */
const PRINCIPAL_TWINS: readonly (readonly [string, unknown, 'Allow' | 'Deny', readonly RequestPrincipal[], readonly RequestPrincipal[]])[] =
  [
    ['"*" covers every caller, services included (its twin: NotPrincipal, below)', '*', 'Allow', [CLOUDTRAIL, ROLE, OUTSIDER], []],
    ['{"AWS": "*"} covers a service principal too', { AWS: '*' }, 'Allow', [CLOUDTRAIL, ROLE, OUTSIDER], []],
    [
      'a service principal covers that service only',
      { Service: 'cloudtrail.amazonaws.com' },
      'Allow',
      [CLOUDTRAIL],
      [{ kind: 'service', name: 'config.amazonaws.com' }, ROOT],
    ],
    ['an account id in an Allow stands for the account itself', { AWS: '111122223333' }, 'Allow', [ROOT], [ROLE, OUTSIDER]],
    [
      'an account root ARN in an Allow stands for the account itself',
      { AWS: 'arn:aws:iam::111122223333:root' },
      'Allow',
      [ROOT],
      [ROLE, OUTSIDER],
    ],
    ['an account in a Deny covers every principal of it', { AWS: '111122223333' }, 'Deny', [ROOT, ROLE], [OUTSIDER, CLOUDTRAIL]],
    ['a role ARN covers that role', { AWS: 'arn:aws:iam::111122223333:role/reader' }, 'Allow', [ROLE], [ROOT, OUTSIDER]],
    [
      'a Federated principal covers no IAM or service caller',
      { Federated: 'cognito-identity.amazonaws.com' },
      'Allow',
      [],
      [ROLE, ROOT, CLOUDTRAIL],
    ],
    [
      'a CanonicalUser principal covers no IAM or service caller',
      { CanonicalUser: '79a59df900b949e55d96a1e698fbaced' },
      'Allow',
      [],
      [ROLE, ROOT, CLOUDTRAIL],
    ],
  ];

function decides(principal: unknown, effect: 'Allow' | 'Deny', caller: RequestPrincipal, element = 'Principal') {
  const statements: unknown[] = [{ Effect: effect, [element]: principal, Action: 'kms:Decrypt', Resource: '*' }];
  if (effect === 'Deny') statements.push({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' });
  return evaluatePolicy(parsePolicy({ Version: '2012-10-17', Statement: statements }), makeRequest(caller, 'kms:Decrypt', KEY, {}))
    .decision;
}

describe('principal forms, twin rows', () => {
  it.each(PRINCIPAL_TWINS)('%s', (_, principal, effect, covered, uncovered) => {
    const applies = effect === 'Allow' ? 'allowed' : 'denied';
    const otherwise = effect === 'Allow' ? 'not-allowed' : 'allowed';
    for (const caller of covered)
      expect(decides(principal, effect, caller), caller.kind === 'aws' ? caller.arn : caller.name).toBe(applies);
    for (const caller of uncovered)
      expect(decides(principal, effect, caller), caller.kind === 'aws' ? caller.arn : caller.name).toBe(otherwise);
    expect(covered.length + uncovered.length).toBeGreaterThan(1);
  });

  it('"*" and {"AWS": "*"} cover every caller: their twin is NotPrincipal, which covers every caller but the ones it names', () => {
    for (const star of ['*', { AWS: '*' }])
      for (const caller of [CLOUDTRAIL, ROLE, OUTSIDER]) expect(decides(star, 'Allow', caller)).toBe('allowed');
    expect(decides({ AWS: 'arn:aws:iam::111122223333:role/reader' }, 'Deny', OUTSIDER, 'NotPrincipal')).toBe('denied');
    expect(decides({ AWS: 'arn:aws:iam::111122223333:role/reader' }, 'Deny', ROLE, 'NotPrincipal')).toBe('allowed');
  });

  it('a statement with neither Principal nor NotPrincipal is invalid and grants nothing; with one it grants', () => {
    const none = parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] });
    expect(none.statements[0]?.problems).toContain('the statement has no Principal element');
    expect(evaluatePolicy(none, makeRequest(ROLE, 'kms:Decrypt', KEY, {})).decision).toBe('not-allowed');
    expect(decides('*', 'Allow', ROLE)).toBe('allowed');
  });
});

describe('Action, NotAction, Resource, NotResource, twin rows', () => {
  const decide = (statement: Record<string, unknown>, action: string, resource = KEY) =>
    evaluatePolicy(
      parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', ...statement }] }),
      makeRequest(ROLE, action, resource, {}),
    ).decision;
  it.each([
    ['Action wildcard', { Action: 'kms:Generate*', Resource: '*' }, 'kms:GenerateDataKey', 'kms:Decrypt'],
    ['Action names are case-insensitive', { Action: 'KMS:decrypt', Resource: '*' }, 'kms:Decrypt', 'kms:Encrypt'],
    ['NotAction covers every other action', { NotAction: 'kms:Decrypt', Resource: '*' }, 'kms:Encrypt', 'kms:Decrypt'],
    ['Resource "*" or the key ARN', { Action: 'kms:Decrypt', Resource: KEY }, 'kms:Decrypt', 'kms:Encrypt'],
  ] as const)('%s', (_, statement, yes, no) => {
    expect(decide(statement, yes)).toBe('allowed');
    expect(decide(statement, no)).toBe('not-allowed');
  });

  it('Resource names the key; NotResource covers every other resource; no Resource grants nothing', () => {
    expect(decide({ Action: 'kms:Decrypt', Resource: KEY }, 'kms:Decrypt', KEY)).toBe('allowed');
    expect(decide({ Action: 'kms:Decrypt', Resource: KEY }, 'kms:Decrypt', `${KEY}-other`)).toBe('not-allowed');
    expect(decide({ Action: 'kms:Decrypt', NotResource: `${KEY}-other` }, 'kms:Decrypt', KEY)).toBe('allowed');
    expect(decide({ Action: 'kms:Decrypt', NotResource: KEY }, 'kms:Decrypt', KEY)).toBe('not-allowed');
    expect(decide({ Action: 'kms:Decrypt' }, 'kms:Decrypt', KEY)).toBe('not-allowed');
  });
});

describe('expect modes, twin rows', () => {
  const policy = (...statements: unknown[]) => parsePolicy({ Version: '2012-10-17', Statement: statements });
  const allow = { Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'kms:Decrypt', Resource: '*' };
  const deny = {
    Effect: 'Deny',
    Principal: '*',
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:PrincipalAccount': '111122223333' } },
  };
  const outsider: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::444455556666:root', account: '444455556666' };
  const check = (expectation: Expectation, p: ReturnType<typeof policy>) =>
    checkPolicy(p, {
      expect: expectation,
      action: 'kms:Decrypt',
      principal: { kind: 'fixed', principal: outsider },
      request: (caller) => ({
        principal: caller,
        action: 'kms:Decrypt',
        resource: KEY,
        context: { 'aws:PrincipalAccount': '444455556666' },
        encryptionContext: {},
      }),
      probes: [],
      scope: 'policy',
    });

  it.each([
    ['allowed', policy(allow), policy()],
    ['not-allowed', policy(), policy(allow)],
    ['denied', policy(allow, deny), policy(allow)],
  ] as const)('expect: %s passes on one policy and fails on its twin', (expectation, passing, failing) => {
    expect(check(expectation, passing).status).toBe('pass');
    expect(check(expectation, failing).status).toBe('fail');
  });

  it('not-allowed also passes when a Deny blocks the grant; denied fails when nothing denies', () => {
    expect(check('not-allowed', policy(allow, deny))).toMatchObject({
      status: 'pass',
      reason: 'does not allow kms:Decrypt for arn:aws:iam::444455556666:root',
    });
    expect(check('denied', policy())).toMatchObject({
      status: 'fail',
      reason: 'does not deny kms:Decrypt for arn:aws:iam::444455556666:root',
    });
  });
});
