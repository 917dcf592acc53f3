import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';

const VALID = { Sid: 'Ok', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' };

/** The problems of a one-statement policy whose statement is VALID with the given changes (undefined removes a field). */
function problemsOf(changes: Record<string, unknown>): readonly string[] {
  const statement = Object.fromEntries(Object.entries({ ...VALID, ...changes }).filter(([, v]) => v !== undefined));
  return parsePolicy({ Version: '2012-10-17', Statement: [statement] }).statements[0]?.problems ?? [];
}

describe('what AWS would reject is named, and the statement grants nothing', () => {
  it('the valid statement every row changes has no problem', () => {
    expect(problemsOf({})).toEqual([]);
  });

  it.each([
    ['an Effect other than Allow or Deny', { Effect: 'allow' }, ['Effect must be "Allow" or "Deny", found "allow"']],
    ['no Effect', { Effect: undefined }, ['Effect must be "Allow" or "Deny", found nothing']],
    ['a number as Effect', { Effect: 1 }, ['Effect must be "Allow" or "Deny", found a number']],
    ['no Principal', { Principal: undefined }, ['the statement has no Principal element']],
    [
      'a Principal that is a string other than *',
      { Principal: 'arn:aws:iam::111122223333:root' },
      ['Principal must be "*" or an object, found "arn:aws:iam::111122223333:root"'],
    ],
    ['a Principal that is an array', { Principal: ['*'] }, ['Principal must be "*" or an object, found an array']],
    ['a NotPrincipal that is null', { Principal: undefined, NotPrincipal: null }, ['NotPrincipal must be "*" or an object, found null']],
    [
      'an unknown principal type',
      { Principal: { Group: 'admins' } },
      ['Principal type "Group" is not AWS, Service, Federated or CanonicalUser'],
    ],
    ['a principal value that is an object', { Principal: { AWS: { id: 1 } } }, ['Principal.AWS must hold strings, found an object']],
    ['no Action', { Action: undefined }, ['the statement has no Action element']],
    ['an Action that is null', { Action: null }, ['Action must hold strings, found null']],
    ['no Resource', { Resource: undefined }, ['the statement has no Resource element']],
    [
      'a NotResource list with an array in it',
      { Resource: undefined, NotResource: [['x']] },
      ['NotResource must hold strings, found an array'],
    ],
    ['a Condition that is a list', { Condition: [] }, ['Condition must be an object, found an array']],
    ['a Condition that is text', { Condition: 'Null' }, ['Condition must be an object, found "Null"']],
    [
      'an operator block that is not an object',
      { Condition: { StringEquals: 'x' } },
      ['Condition.StringEquals must be an object of condition keys, found "x"'],
    ],
    [
      'an unknown condition operator',
      { Condition: { StringMaybe: { 'aws:SourceAccount': '1' } } },
      ['unknown condition operator "StringMaybe"'],
    ],
    [
      'NullIfExists (Null has no IfExists form)',
      { Condition: { NullIfExists: { 'aws:SourceVpc': 'true' } } },
      ['unknown condition operator "NullIfExists"'],
    ],
    [
      'a condition value that is an object',
      { Condition: { StringEquals: { 'aws:SourceAccount': { a: 1 } } } },
      ['Condition.StringEquals.aws:SourceAccount must hold strings, found an object'],
    ],
    [
      'a condition value that is undefined in a list',
      { Condition: { Bool: { 'aws:SecureTransport': [null] } } },
      ['Condition.Bool.aws:SecureTransport must hold strings, found null'],
    ],
  ] as const)('%s', (_, changes, problems) => {
    expect(problemsOf(changes)).toEqual(problems);
  });

  it('a statement that is not an object is named, and so are the elements it lacks', () => {
    expect(parsePolicy({ Version: '2012-10-17', Statement: ['text'] }).statements[0]?.problems).toEqual([
      'the statement is not a JSON object',
      'Effect must be "Allow" or "Deny", found nothing',
      'the statement has no Principal element',
      'the statement has no Action element',
      'the statement has no Resource element',
    ]);
  });

  it('booleans and numbers in conditions read as their JSON text; the twin: other types are problems', () => {
    const statement = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ ...VALID, Condition: { Bool: { 'aws:SecureTransport': true }, NumericLessThan: { 'aws:MultiFactorAuthAge': 3600 } } }],
    }).statements[0];
    expect(statement?.problems).toEqual([]);
    expect(statement?.conditions.map((c) => c.values)).toEqual([['true'], ['3600']]);
  });

  it('a single statement object is a list of one; a policy that is not an object, or has no Statement, says so', () => {
    expect(parsePolicy({ Version: '2012-10-17', Statement: VALID }).statements).toHaveLength(1);
    expect(parsePolicy(['x']).problems).toEqual(['the policy is not a JSON object']);
    expect(parsePolicy(null).problems).toEqual(['the policy is not a JSON object']);
    expect(parsePolicy({ Version: '2012-10-17' }).problems).toEqual(['the policy has no Statement element']);
    expect(parsePolicy({ Version: '2012-10-17' }).statements).toEqual([]);
  });

  it('principal entries: kinds, accounts and names as written', () => {
    const principals = (principal: unknown) =>
      parsePolicy({ Version: '2012-10-17', Statement: [{ ...VALID, Principal: principal }] }).statements[0]?.principals;
    expect(
      principals({ AWS: ['111122223333', 'arn:aws:iam::444455556666:root', 'arn:aws:iam::444455556666:role/r', '*', 'AROAEXAMPLEID'] }),
    ).toEqual([
      { kind: 'aws-account', account: '111122223333', text: '111122223333' },
      { kind: 'aws-account', account: '444455556666', text: 'arn:aws:iam::444455556666:root' },
      { kind: 'aws-arn', arn: 'arn:aws:iam::444455556666:role/r', account: '444455556666', text: 'arn:aws:iam::444455556666:role/r' },
      { kind: 'any', text: '*' },
      { kind: 'aws-arn', arn: 'AROAEXAMPLEID', account: '', text: 'AROAEXAMPLEID' },
    ]);
    expect(principals({ AWS: 'arn:aws:sts::111122223333:root' })).toEqual([
      { kind: 'aws-arn', arn: 'arn:aws:sts::111122223333:root', account: '111122223333', text: 'arn:aws:sts::111122223333:root' },
    ]);
    expect(principals({ Service: 'CloudTrail.amazonaws.com', Federated: 'accounts.google.com', CanonicalUser: 'abc' })).toEqual([
      { kind: 'service', name: 'cloudtrail.amazonaws.com', text: 'CloudTrail.amazonaws.com' },
      { kind: 'federated', name: 'accounts.google.com', text: 'accounts.google.com' },
      { kind: 'canonical-user', id: 'abc', text: 'abc' },
    ]);
  });

  it('operators split into qualifier, base and IfExists', () => {
    const clause = (operator: string) =>
      parsePolicy({ Version: '2012-10-17', Statement: [{ ...VALID, Condition: { [operator]: { k: 'v' } } }] }).statements[0]?.conditions[0];
    expect(clause('ForAnyValue:StringLikeIfExists')).toMatchObject({ base: 'StringLike', set: 'any', ifExists: true, keyLower: 'k' });
    expect(clause('ForAllValues:StringEquals')).toMatchObject({ base: 'StringEquals', set: 'all', ifExists: false });
    expect(clause('Null')).toMatchObject({ base: 'Null', set: 'none', ifExists: false });
    expect(clause('StringEquals')).toMatchObject({ base: 'StringEquals', set: 'none', ifExists: false, hasVariables: false });
  });

  it('Version 2008-10-17 reads ${…} as literal text; 2012-10-17 as a variable', () => {
    const values = (version: string) =>
      parsePolicy({ Version: version, Statement: [{ ...VALID, Condition: { StringEquals: { k: ['${aws:username}', 'plain'] } } }] })
        .statements[0]?.conditions[0];
    expect(values('2008-10-17')?.values).toEqual(['${$}{aws:username}', 'plain']);
    expect(values('2012-10-17')?.values).toEqual(['${aws:username}', 'plain']);
    expect(values('2012-10-17')?.hasVariables).toBe(true);
  });
});
