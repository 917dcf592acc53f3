import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../../engine/iam/evaluate-condition.js';
import { evaluatePolicy, makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { ContextValue, RequestPrincipal } from '../../../engine/iam/types.js';

/** Edge cases of the condition grammar, each a pair: the request it holds for and the one it does not. */
function holds(condition: Record<string, Record<string, unknown>>, context: Record<string, ContextValue>): boolean {
  const policy = parsePolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: condition }],
  });
  const map = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return (policy.statements[0]?.conditions ?? []).every((c) => evaluateCondition(c, map));
}

describe('condition edge cases, twin rows', () => {
  it.each([
    ['an empty request value is no number (not 0)', { NumericEquals: { k: '0' } }, { k: '0' }, { k: '' }],
    ['an empty policy value is no number (not 0)', { NumericEquals: { k: ['', '5'] } }, { k: '5' }, { k: '0' }],
    [
      'an epoch in seconds compares with a date',
      { DateEquals: { k: '1767225600' } },
      { k: '2026-01-01T00:00:00Z' },
      { k: '2026-01-01T00:00:01Z' },
    ],
    [
      'a date-only value is a date, not epoch seconds',
      { DateEquals: { k: '2026-01-01' } },
      { k: '2026-01-01T00:00:00Z' },
      { k: '1767225600000' },
    ],
    [
      'two unparsable dates are not equal',
      { DateEquals: { k: ['soon', '2026-01-01T00:00:00Z'] } },
      { k: '2026-01-01T00:00:00Z' },
      { k: 'later' },
    ],
    [
      'an unparsable request date never matches',
      { DateLessThan: { k: '2030-01-01T00:00:00Z' } },
      { k: '2026-01-01T00:00:00Z' },
      { k: 'yesterday' },
    ],
    ['an address without a prefix is one address (/32)', { IpAddress: { k: '10.0.0.1' } }, { k: '10.0.0.1' }, { k: '10.0.0.2' }],
    [
      'an IPv6 address without a prefix is one address (/128)',
      { IpAddress: { k: '2001:db8::1' } },
      { k: '2001:db8::1' },
      { k: '2001:db8::2' },
    ],
    ['/0 covers every IPv4 address, not IPv6 ones', { IpAddress: { k: '0.0.0.0/0' } }, { k: '203.0.113.9' }, { k: '2001:db8::1' }],
    [
      '/32 is the largest IPv4 prefix; /33 matches nothing',
      { IpAddress: { k: ['10.0.0.0/33', '10.0.0.7/32'] } },
      { k: '10.0.0.7' },
      { k: '10.0.0.0' },
    ],
    [
      '/128 is the largest IPv6 prefix; /129 matches nothing',
      { IpAddress: { k: ['2001:db8::/129', '2001:db8::7/128'] } },
      { k: '2001:db8::7' },
      { k: '2001:db8::' },
    ],
    [
      'a negative or fractional prefix matches nothing',
      { IpAddress: { k: ['10.0.0.0/-1', '10.0.0.0/8.5', '192.0.2.0/24'] } },
      { k: '192.0.2.1' },
      { k: '10.0.0.1' },
    ],
    [
      'a policy value that is not an address matches nothing',
      { IpAddress: { k: ['not-an-ip/8', '192.0.2.0/24'] } },
      { k: '192.0.2.1' },
      { k: '198.51.100.1' },
    ],
    ['a request value that is not an address matches nothing', { IpAddress: { k: '0.0.0.0/0' } }, { k: '192.0.2.1' }, { k: 'somewhere' }],
    ['NotIpAddress of another family is true', { NotIpAddress: { k: '10.0.0.0/8' } }, { k: '2001:db8::1' }, { k: '10.1.1.1' }],
    ['Null with "true" and "false" both listed holds either way… but only as listed', { Null: { k: ['false'] } }, { k: 'x' }, { k: [] }],
    ['an empty list counts as absent for Null', { Null: { k: 'true' } }, { k: [] }, { k: ['x'] }],
    [
      'ForAnyValue with a negated operator: some value differs',
      { 'ForAnyValue:StringNotEquals': { k: 'a' } },
      { k: ['a', 'b'] },
      { k: ['a'] },
    ],
    [
      'ForAllValues with a negated operator: every value differs',
      { 'ForAllValues:StringNotLike': { k: 'a*' } },
      { k: ['b', 'c'] },
      { k: ['b', 'ab'] },
    ],
    ['a plain operator over a list: some value matches', { StringEquals: { k: 'b' } }, { k: ['a', 'b'] }, { k: ['a', 'c'] }],
    ['a plain negated operator over a list: no value matches', { StringNotEquals: { k: 'b' } }, { k: ['a', 'c'] }, { k: ['a', 'b'] }],
    [
      'ArnLike with fewer than six fields in the policy matches nothing',
      { ArnLike: { k: ['arn:aws:s3', 'arn:aws:s3:::b'] } },
      { k: 'arn:aws:s3:::b' },
      { k: 'arn:aws:s3' },
    ],
    [
      'ArnLike against a request value that is no ARN is false',
      { ArnLike: { k: 'arn:*:*:*:*:*' } },
      { k: 'arn:aws:s3:::b' },
      { k: 'bucket' },
    ],
    [
      'a backslash in a policy value is literal',
      { StringLike: { k: 'a\\b*${aws:username}' } },
      { k: 'a\\bxbob', 'aws:username': 'bob' },
      { k: 'abxbob', 'aws:username': 'bob' },
    ],
    [
      'a backslash in a substituted value is literal',
      { StringEquals: { k: '${aws:username}' } },
      { k: 'a\\b', 'aws:username': 'a\\b' },
      { k: 'ab', 'aws:username': 'a\\b' },
    ],
    [
      'a list variable is no value: unmatchable',
      { StringEquals: { k: ['${aws:CalledVia}', 'x'] } },
      { k: 'x', 'aws:CalledVia': ['s3'] },
      { k: 's3', 'aws:CalledVia': ['s3'] },
    ],
    [
      'a variable in a Numeric operator is not substituted',
      { NumericEquals: { k: ['${aws:n}', '2'] } },
      { k: '2', 'aws:n': '1' },
      { k: '1', 'aws:n': '1' },
    ],
  ] as const)('%s', (_, condition, yes, no) => {
    expect(holds(condition, yes)).toBe(true);
    expect(holds(condition, no)).toBe(false);
  });

  it('an unknown operator holds for no request, and makes its statement invalid', () => {
    expect(holds({ StringMaybe: { k: 'a' } }, { k: 'a' })).toBe(false);
    expect(holds({ StringMaybe: { k: 'a' } }, {})).toBe(false);
  });
});

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k';
const decision = (statement: Record<string, unknown>, caller: RequestPrincipal, action = 'kms:Decrypt') =>
  evaluatePolicy(
    parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*', ...statement }] }),
    makeRequest(caller, action, KEY, {}),
  ).decision;
const ROLE: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/r', account: '111122223333' };
const SERVICE: RequestPrincipal = { kind: 'service', name: 'cloudtrail.amazonaws.com' };

describe('statement elements, twin rows', () => {
  it('NotPrincipal in an Allow covers every caller it does not name', () => {
    expect(decision({ NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/other' }, Action: 'kms:Decrypt' }, ROLE)).toBe('allowed');
    expect(decision({ NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/r' }, Action: 'kms:Decrypt' }, ROLE)).toBe('not-allowed');
  });

  it('NotPrincipal naming an account excludes only the account itself, not its roles (as in an Allow)', () => {
    expect(decision({ NotPrincipal: { AWS: '111122223333' }, Action: 'kms:Decrypt' }, ROLE)).toBe('allowed');
    expect(
      decision({ NotPrincipal: { AWS: '111122223333' }, Action: 'kms:Decrypt' }, { ...ROLE, arn: 'arn:aws:iam::111122223333:root' }),
    ).toBe('not-allowed');
  });

  it('a service principal and an ARN principal never cover each other', () => {
    expect(decision({ Principal: { AWS: 'arn:aws:iam::111122223333:role/r' }, Action: '*' }, SERVICE)).toBe('not-allowed');
    expect(decision({ Principal: { AWS: 'arn:aws:iam::111122223333:role/r' }, Action: '*' }, ROLE)).toBe('allowed');
    expect(decision({ Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: '*' }, ROLE)).toBe('not-allowed');
    expect(decision({ Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: '*' }, SERVICE)).toBe('allowed');
  });

  it('NotAction covers only the actions it does not list, case-insensitively; Action and NotAction both absent grant nothing', () => {
    expect(decision({ Principal: '*', NotAction: 'KMS:Encrypt' }, ROLE, 'kms:Decrypt')).toBe('allowed');
    expect(decision({ Principal: '*', NotAction: 'KMS:Encrypt' }, ROLE, 'kms:encrypt')).toBe('not-allowed');
    expect(decision({ Principal: '*' }, ROLE)).toBe('not-allowed');
  });

  it('the same policy asked about several actions answers each (the per-action index is not shared between actions)', () => {
    const policy = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Sid: 'D', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }],
    });
    expect(evaluatePolicy(policy, makeRequest(ROLE, 'kms:Decrypt', KEY, {})).allowedBy).toEqual([{ index: 0, sid: 'D' }]);
    expect(evaluatePolicy(policy, makeRequest(ROLE, 'kms:Encrypt', KEY, {})).decision).toBe('not-allowed');
    expect(evaluatePolicy(policy, makeRequest(ROLE, 'KMS:DECRYPT', KEY, {})).decision).toBe('allowed');
  });
});
