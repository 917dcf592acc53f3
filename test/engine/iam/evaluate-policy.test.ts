import { describe, expect, it } from 'vitest';
import { evaluatePolicy, makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { RequestPrincipal } from '../../../engine/iam/types.js';

const A = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${A}:key/k1`;
const cloudtrail: RequestPrincipal = { kind: 'service', name: 'cloudtrail.amazonaws.com' };
const root: RequestPrincipal = { kind: 'aws', arn: `arn:aws:iam::${A}:root`, account: A };
const reader: RequestPrincipal = { kind: 'aws', arn: `arn:aws:iam::${A}:role/Reader`, account: A };
const outsider: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::444455556666:role/Reader', account: '444455556666' };

function decide(statements: unknown, principal: RequestPrincipal, action = 'kms:DescribeKey', context = {}) {
  return evaluatePolicy(parsePolicy({ Version: '2012-10-17', Statement: statements }), makeRequest(principal, action, KEY, context));
}

const allow = (extra: Record<string, unknown>) => ({ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*', ...extra });

describe('principals', () => {
  it.each([
    ['"*" matches a service', allow({ Principal: '*' }), cloudtrail, 'allowed'],
    ['{"AWS": "*"} matches a service too', allow({ Principal: { AWS: '*' } }), cloudtrail, 'allowed'],
    ['a service principal matches that service', allow({ Principal: { Service: 'cloudtrail.amazonaws.com' } }), cloudtrail, 'allowed'],
    [
      'a service principal in an array',
      allow({ Principal: { Service: ['logs.amazonaws.com', 'cloudtrail.amazonaws.com'] } }),
      cloudtrail,
      'allowed',
    ],
    ['another service does not match', allow({ Principal: { Service: 'logs.amazonaws.com' } }), cloudtrail, 'not-allowed'],
    ['an AWS principal does not match a service', allow({ Principal: { AWS: `arn:aws:iam::${A}:root` } }), cloudtrail, 'not-allowed'],
    ['an account principal in an Allow stands for the account itself', allow({ Principal: { AWS: A } }), root, 'allowed'],
    [
      'an account principal in an Allow does not name its roles',
      allow({ Principal: { AWS: `arn:aws:iam::${A}:root` } }),
      reader,
      'not-allowed',
    ],
    ['a role ARN matches that role', allow({ Principal: { AWS: `arn:aws:iam::${A}:role/Reader` } }), reader, 'allowed'],
    [
      'a role ARN does not match another account role',
      allow({ Principal: { AWS: `arn:aws:iam::${A}:role/Reader` } }),
      outsider,
      'not-allowed',
    ],
    [
      'NotPrincipal in an Allow matches everyone else',
      allow({ NotPrincipal: { AWS: `arn:aws:iam::${A}:role/Reader` } }),
      outsider,
      'allowed',
    ],
    ['NotPrincipal excludes the named principal', allow({ NotPrincipal: { AWS: `arn:aws:iam::${A}:role/Reader` } }), reader, 'not-allowed'],
    ['a statement without Principal grants nothing', allow({}), root, 'not-allowed'],
  ] as const)('%s', (_name, statement, principal, expected) => {
    expect(decide([statement], principal).decision).toBe(expected);
  });

  it('an account principal in a Deny covers every principal of that account', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: A }, Action: 'kms:DescribeKey', Resource: '*' };
    expect(decide([allow({ Principal: '*' }), deny], reader).decision).toBe('denied');
    expect(decide([allow({ Principal: '*' }), deny], outsider).decision).toBe('allowed');
  });
});

describe('actions and resources', () => {
  it.each([
    ['action names ignore case', { Action: 'KMS:DESCRIBEKEY' }, 'allowed'],
    ['* in actions', { Action: 'kms:Describe*' }, 'allowed'],
    ['? in actions', { Action: 'kms:DescribeKe?' }, 'allowed'],
    ['an action list', { Action: ['kms:Encrypt', 'kms:DescribeKey'] }, 'allowed'],
    ['an uncovered action', { Action: 'kms:Encrypt' }, 'not-allowed'],
    ['NotAction excluding another action applies', { Action: undefined, NotAction: 'kms:Encrypt' }, 'allowed'],
    ['NotAction excluding this action does not', { Action: undefined, NotAction: 'kms:Describe*' }, 'not-allowed'],
    ['Resource "*"', { Resource: '*' }, 'allowed'],
    ['Resource the key ARN', { Resource: KEY }, 'allowed'],
    ['Resource with wildcards', { Resource: `arn:aws:kms:*:${A}:key/*` }, 'allowed'],
    ['Resource another key', { Resource: `arn:aws:kms:us-east-1:${A}:key/k2` }, 'not-allowed'],
    ['Resource in other case (ARNs are case-sensitive)', { Resource: KEY.toUpperCase() }, 'not-allowed'],
    ['NotResource excluding another key', { Resource: undefined, NotResource: `arn:aws:kms:us-east-1:${A}:key/k2` }, 'allowed'],
    ['no Resource element', { Resource: undefined }, 'not-allowed'],
  ] as const)('%s', (_name, extra, expected) => {
    expect(decide([allow({ Principal: '*', ...extra })], cloudtrail).decision).toBe(expected);
  });
});

describe('decisions', () => {
  it('an explicit Deny wins over any Allow, and both are named', () => {
    const result = decide(
      [allow({ Sid: 'Allow', Principal: '*' }), { Sid: 'Deny', Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }],
      cloudtrail,
    );
    expect(result).toEqual({ decision: 'denied', allowedBy: [{ index: 0, sid: 'Allow' }], deniedBy: [{ index: 1, sid: 'Deny' }] });
  });
  it('a Deny on "*" is lifted for services by aws:PrincipalIsAWSService', () => {
    const deny = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
    };
    expect(decide([allow({ Principal: '*' }), deny], cloudtrail, 'kms:DescribeKey', { 'aws:PrincipalIsAWSService': 'true' }).decision).toBe(
      'allowed',
    );
    expect(decide([allow({ Principal: '*' }), deny], reader, 'kms:DescribeKey', { 'aws:PrincipalIsAWSService': 'false' }).decision).toBe(
      'denied',
    );
  });
  it('names every Allow that applies, statements without Sid by index only', () => {
    expect(decide([allow({ Principal: '*' }), allow({ Sid: 'Two', Principal: '*' })], cloudtrail).allowedBy).toEqual([
      { index: 0 },
      { index: 1, sid: 'Two' },
    ]);
  });
  it('an invalid statement grants nothing', () => {
    expect(decide([allow({ Principal: '*', Effect: 'allow' })], cloudtrail).decision).toBe('not-allowed');
    expect(decide([allow({ Principal: { Robot: 'x' } })], cloudtrail).decision).toBe('not-allowed');
  });
  it('a policy that is not an object grants nothing and says why', () => {
    expect(parsePolicy('text').problems).toEqual(['the policy is not a JSON object']);
    expect(parsePolicy({ Version: '2012-10-17' }).problems).toEqual(['the policy has no Statement element']);
  });
});
