import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../../engine/iam/evaluate-condition.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { ContextValue } from '../../../engine/iam/types.js';

/** The clauses of a one-statement policy with the given Condition block. */
function clauses(condition: Record<string, Record<string, unknown>>, version = '2012-10-17') {
  const policy = parsePolicy({
    Version: version,
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: condition }],
  });
  return policy.statements[0]?.conditions ?? [];
}

function holds(condition: Record<string, Record<string, unknown>>, context: Record<string, ContextValue>, version?: string): boolean {
  const map = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return clauses(condition, version).every((c) => evaluateCondition(c, map));
}

const ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';

describe('condition operators', () => {
  it.each([
    // [name, condition, context, expected]
    ['StringEquals matches exactly', { StringEquals: { 'aws:SourceArn': ARN } }, { 'aws:SourceArn': ARN }, true],
    ['StringEquals is case-sensitive in values', { StringEquals: { 'aws:SourceArn': ARN.toUpperCase() } }, { 'aws:SourceArn': ARN }, false],
    ['StringEquals treats * literally', { StringEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:*' } }, { 'aws:SourceArn': ARN }, false],
    [
      'StringEquals ORs the values of one key',
      { StringEquals: { 'aws:SourceAccount': ['444455556666', '111122223333'] } },
      { 'aws:SourceAccount': '111122223333' },
      true,
    ],
    [
      'StringNotEquals is true when no value matches',
      { StringNotEquals: { 'aws:SourceAccount': ['444455556666'] } },
      { 'aws:SourceAccount': '111122223333' },
      true,
    ],
    [
      'StringNotEquals is false when a value matches',
      { StringNotEquals: { 'aws:SourceAccount': ['111122223333'] } },
      { 'aws:SourceAccount': '111122223333' },
      false,
    ],
    [
      'StringEqualsIgnoreCase ignores case',
      { StringEqualsIgnoreCase: { 'aws:PrincipalServiceName': 'CloudTrail.amazonaws.com' } },
      { 'aws:PrincipalServiceName': 'cloudtrail.amazonaws.com' },
      true,
    ],
    [
      'StringLike * spans characters',
      { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } },
      { 'kms:EncryptionContext:aws:cloudtrail:arn': ARN },
      true,
    ],
    [
      'StringLike ? is one character',
      { StringLike: { 'aws:SourceAccount': '11112222333?' } },
      { 'aws:SourceAccount': '111122223333' },
      true,
    ],
    [
      'StringLike ? is exactly one character',
      { StringLike: { 'aws:SourceAccount': '1111222233?' } },
      { 'aws:SourceAccount': '111122223333' },
      false,
    ],
    ['StringNotLike', { StringNotLike: { 'aws:SourceAccount': '4444*' } }, { 'aws:SourceAccount': '111122223333' }, true],
    [
      'condition key names are case-insensitive',
      { StringEquals: { 'AWS:SOURCEACCOUNT': '111122223333' } },
      { 'aws:sourceaccount': '111122223333' },
      true,
    ],
    [
      'ArnLike compares each field',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } },
      { 'aws:SourceArn': ARN },
      true,
    ],
    [
      'ArnLike does not let * cross a colon',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:trail/*' } },
      { 'aws:SourceArn': ARN },
      false,
    ],
    [
      'ArnEquals takes wildcards too',
      { ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:111122223333:trail/*' } },
      { 'aws:SourceArn': ARN },
      true,
    ],
    ['ArnNotLike', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:444455556666:*' } }, { 'aws:SourceArn': ARN }, true],
    ['Arn operators need an ARN in the request', { ArnLike: { 'aws:SourceArn': '*' } }, { 'aws:SourceArn': 'not-an-arn' }, false],
    ['Bool with a string', { Bool: { 'aws:PrincipalIsAWSService': 'true' } }, { 'aws:PrincipalIsAWSService': 'true' }, true],
    ['Bool with a JSON boolean', { Bool: { 'aws:PrincipalIsAWSService': false } }, { 'aws:PrincipalIsAWSService': 'false' }, true],
    [
      'Null "false" needs the key',
      { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
      { 'kms:EncryptionContext:aws:cloudtrail:arn': ARN },
      true,
    ],
    ['Null false (boolean) needs the key', { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': false } }, {}, false],
    ['Null "true" needs it absent', { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'true' } }, {}, true],
    [
      'Null true (boolean) with the key present',
      { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': true } },
      { 'kms:EncryptionContext:aws:cloudtrail:arn': ARN },
      false,
    ],
    ['NumericLessThan', { NumericLessThan: { 'kms:GrantConstraintType': '10' } }, { 'kms:GrantConstraintType': '9' }, true],
    ['Numeric operators reject non-numbers', { NumericEquals: { 'x:n': 'abc' } }, { 'x:n': 'abc' }, false],
    [
      'DateGreaterThan with ISO dates',
      { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2026-06-01T00:00:00Z' },
      true,
    ],
    ['Date operators accept epoch seconds', { DateLessThan: { 'aws:EpochTime': '1800000000' } }, { 'aws:EpochTime': '1700000000' }, true],
    ['IpAddress CIDR', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.113.7' }, true],
    ['NotIpAddress CIDR', { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '198.51.100.1' }, true],
    ['IpAddress IPv6', { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db8::1' }, true],
    [
      'operators are ANDed',
      { StringEquals: { 'aws:SourceAccount': '111122223333' }, StringLike: { 'aws:SourceArn': '*:trail/other' } },
      { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': ARN },
      false,
    ],
    [
      'keys within an operator are ANDed',
      { StringEquals: { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': ARN } },
      { 'aws:SourceAccount': '111122223333' },
      false,
    ],
  ] as const)('%s', (_name, condition, context, expected) => {
    expect(holds(condition as never, context as never)).toBe(expected);
  });
});

describe('absent keys', () => {
  it.each([
    ['a positive operator is false', { StringEquals: { 'aws:SourceArn': ARN } }, false],
    ['a negated operator is true', { StringNotEquals: { 'aws:SourceArn': ARN } }, true],
    ['a negated Arn operator is true', { ArnNotLike: { 'aws:SourceArn': ARN } }, true],
    ['…IfExists is true', { StringEqualsIfExists: { 'aws:SourceArn': 'nothing' } }, true],
    ['BoolIfExists is true', { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } }, true],
    ['ForAnyValue: is false', { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'aws:cloudtrail:arn' } }, false],
    ['ForAnyValue: with a negated operator is false', { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': 'x' } }, false],
    ['ForAllValues: is true', { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'aws:cloudtrail:arn' } }, true],
    ['Bool is false', { Bool: { 'aws:SecureTransport': 'true' } }, false],
  ] as const)('%s', (_name, condition, expected) => {
    expect(holds(condition as never, {})).toBe(expected);
  });
});

describe('multi-valued keys', () => {
  const keys = { 'kms:EncryptionContextKeys': ['aws:cloudtrail:arn', 'aws:s3:arn'] };
  it.each([
    ['ForAnyValue: needs one listed value', { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'aws:s3:arn' } }, true],
    ['ForAnyValue: fails when none is listed', { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'other' } }, false],
    [
      'ForAllValues: needs every request value listed',
      { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['aws:cloudtrail:arn', 'aws:s3:arn', 'x'] } },
      true,
    ],
    [
      'ForAllValues: fails on an unlisted value',
      { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'aws:cloudtrail:arn' } },
      false,
    ],
    ['ForAllValues:StringLike', { 'ForAllValues:StringLike': { 'kms:EncryptionContextKeys': 'aws:*' } }, true],
    [
      'ForAllValues:StringNotEquals needs no listed value',
      { 'ForAllValues:StringNotEquals': { 'kms:EncryptionContextKeys': 'aws:s3:arn' } },
      false,
    ],
  ] as const)('%s', (_name, condition, expected) => {
    expect(holds(condition as never, keys)).toBe(expected);
  });

  it('ForAllValues: is true for an empty list', () => {
    expect(holds({ 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'x' } }, { 'kms:EncryptionContextKeys': [] })).toBe(true);
  });
});

describe('policy variables', () => {
  it('substitutes request values in version 2012-10-17', () => {
    expect(
      holds(
        { StringLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:${aws:SourceAccount}:trail/*' } },
        { 'aws:SourceArn': ARN, 'aws:SourceAccount': '111122223333' },
      ),
    ).toBe(true);
  });
  it('never matches when the variable is absent from the request', () => {
    expect(holds({ StringLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:${aws:SourceAccount}:*' } }, { 'aws:SourceArn': ARN })).toBe(false);
  });
  it('reads ${…} literally in version 2008-10-17', () => {
    const literal = 'arn:aws:cloudtrail:*:${aws:SourceAccount}:trail/*';
    expect(
      holds({ StringLike: { 'aws:SourceArn': literal } }, { 'aws:SourceArn': ARN, 'aws:SourceAccount': '111122223333' }, '2008-10-17'),
    ).toBe(false);
    expect(holds({ StringEquals: { 'aws:SourceArn': literal } }, { 'aws:SourceArn': literal }, '2008-10-17')).toBe(true);
  });
});

describe('unknown operators', () => {
  it('never hold and are reported as a problem of the statement', () => {
    const policy = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringMaybe: { k: 'v' } } }],
    });
    expect(policy.statements[0]?.problems).toContain('unknown condition operator "StringMaybe"');
    expect(holds({ StringMaybe: { k: 'v' } }, { k: 'v' })).toBe(false);
  });
  it('NullIfExists is not an operator', () => {
    const policy = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { NullIfExists: { k: 'true' } } }],
    });
    expect(policy.statements[0]?.problems).toEqual(['unknown condition operator "NullIfExists"']);
  });
});
