import { describe, expect, it } from 'vitest';
import { makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { IamRequest, UnknownKey } from '../../../engine/iam/types.js';
import { describeOption, dimensions, inWorld, MAX_WORLDS, OTHER_VALUE, unknownKeyFor, worlds } from '../../../engine/iam/unknown-values.js';

const READER = { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/reader', account: '111122223333' } as const;
const org: UnknownKey = { key: 'aws:PrincipalOrgID', keyLower: 'aws:principalorgid', prefix: false, hint: 'collect it', mayBeAbsent: true };
const tags: UnknownKey = { key: 'aws:PrincipalTag/', keyLower: 'aws:principaltag/', prefix: true, hint: 'no IAM', mayBeAbsent: true };
const ip: UnknownKey = { key: 'aws:SourceIp', keyLower: 'aws:sourceip', prefix: false, hint: 'no network', mayBeAbsent: false };

function request(unknown: readonly UnknownKey[], context: Record<string, string> = {}, action = 'kms:Decrypt'): IamRequest {
  return { ...makeRequest(READER, action, 'arn:aws:kms:us-east-1:111122223333:key/k', context), unknown };
}

function policy(condition: Record<string, Record<string, unknown>>, action = 'kms:Decrypt') {
  return parsePolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Principal: '*', Action: action, Resource: '*', Condition: condition }],
  });
}

describe('unknown values: the cases a verdict is tried in', () => {
  it('a key the request leaves unknown is covered, exactly or by prefix; a key the context gives is known', () => {
    expect(unknownKeyFor(request([org]), 'aws:principalorgid')).toBe(org);
    expect(unknownKeyFor(request([tags]), 'aws:principaltag/team')).toBe(tags);
    expect(unknownKeyFor(request([org]), 'aws:principalorgpaths')).toBeUndefined();
    expect(unknownKeyFor(request([org], { 'aws:PrincipalOrgID': 'o-1' }), 'aws:principalorgid')).toBeUndefined();
  });

  it('tries each value a condition names, another value, and absence where AWS may leave the key out', () => {
    const [d] = dimensions(policy({ StringNotEquals: { 'aws:PrincipalOrgID': ['o-a', 'o-b'] } }), [request([org])]);
    expect(d?.key).toBe('aws:PrincipalOrgID');
    expect(d?.options).toEqual(['o-a', 'o-b', OTHER_VALUE, undefined]);
    const [always] = dimensions(policy({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), [request([ip])]);
    expect(always?.options).toEqual(['10.0.0.0', '198.51.100.77']);
  });

  it('wildcards are filled in (escaped ones kept), numbers and dates just either side, Bool only true and false', () => {
    const like = dimensions(policy({ StringLike: { 'aws:PrincipalTag/team': 'a*b?${*}' } }), [request([tags])])[0];
    expect(like?.options).toEqual(['abx*', OTHER_VALUE, undefined]);
    const number = dimensions(policy({ NumericLessThan: { 'aws:PrincipalTag/age': '10' } }), [request([tags])])[0];
    expect(number?.options).toEqual(['9', '10', '11', OTHER_VALUE, undefined]);
    const date = dimensions(policy({ DateLessThan: { 'aws:PrincipalTag/t': '2026-01-01T00:00:00Z' } }), [request([tags])])[0];
    expect(date?.options.slice(0, 3)).toEqual(['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']);
    const bool = dimensions(policy({ Bool: { 'aws:PrincipalTag/mfa': 'false' } }), [request([tags])])[0];
    expect(bool?.options).toEqual(['true', 'false', undefined]);
  });

  it('a set operator makes each value a one-element list', () => {
    const d = dimensions(policy({ 'ForAnyValue:StringEquals': { 'aws:PrincipalTag/x': 'a' } }), [request([tags])])[0];
    expect(d?.options).toEqual([['a'], [OTHER_VALUE], undefined]);
  });

  it("reads keys named in policy variables too, and only in statements for the requests' actions", () => {
    const variable = dimensions(policy({ StringEquals: { 'aws:SourceAccount': '${aws:PrincipalOrgID}' } }), [request([org])]);
    expect(variable.map((d) => d.keyLower)).toEqual(['aws:principalorgid']);
    expect(dimensions(policy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a' } }, 'kms:Encrypt'), [request([org])])).toEqual([]);
    expect(dimensions(policy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a' } }), [request([])])).toEqual([]);
  });

  it('combines the options of every key, and gives up past MAX_WORLDS', () => {
    const two = dimensions(policy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), [
      request([org, ip]),
    ]);
    expect(worlds(two)).toHaveLength(3 * 2);
    const many = Array.from({ length: 9 }, (_, i) => ({ ...two[0], keyLower: `k${i}`, options: ['a', 'b', undefined] }) as never);
    expect(3 ** 9).toBeGreaterThan(MAX_WORLDS);
    expect(worlds(many)).toBeUndefined();
    expect(worlds(many.slice(0, 5))).toHaveLength(3 ** 5);
  });

  it('a world sets the unknown keys of a request, leaves out the absent ones, and never touches known keys', () => {
    const r = request([org, ip], { 'aws:SourceAccount': '111122223333' });
    const set = inWorld(
      r,
      new Map([
        ['aws:principalorgid', 'o-a'],
        ['aws:sourceip', undefined],
      ]),
    );
    expect(set.context.get('aws:principalorgid')).toBe('o-a');
    expect(set.context.has('aws:sourceip')).toBe(false);
    expect(set.context.get('aws:sourceaccount')).toBe('111122223333');
    const known = request([org], { 'aws:PrincipalOrgID': 'o-real' });
    expect(inWorld(known, new Map([['aws:principalorgid', 'o-a']])).context.get('aws:principalorgid')).toBe('o-real');
    expect(inWorld(r, new Map())).toBe(r);
  });

  it('describes the values tried in words', () => {
    expect(describeOption('o-a')).toBe('"o-a"');
    expect(describeOption(OTHER_VALUE)).toBe('another value');
    expect(describeOption(undefined)).toBe('absent');
    expect(describeOption(['a', 'b'])).toBe('"a", "b"');
  });
});

describe('the values tried for each condition operator', () => {
  const VALUE: Record<string, string> = {
    String: 'a*b?',
    Numeric: '10',
    Date: '2026-01-01T00:00:00Z',
    Bool: 'true',
    Binary: 'QUJD',
    Ip: '10.0.0.0/8',
    NotIp: '10.0.0.0/8',
    Arn: 'arn:aws:iam::*:role/r?',
    Null: 'true',
  };
  const family = (operator: string) => Object.keys(VALUE).find((f) => operator.startsWith(f)) as string;
  const optionsFor = (operator: string) =>
    dimensions(policy({ [operator]: { 'aws:PrincipalTag/x': VALUE[family(operator)] } }), [request([tags])])[0]?.options;

  it.each([
    ['StringEquals', ['a*b?']],
    ['StringNotEquals', ['a*b?']],
    ['StringEqualsIgnoreCase', ['a*b?']],
    ['StringNotEqualsIgnoreCase', ['a*b?']],
    ['StringLike', ['abx']],
    ['StringNotLike', ['abx']],
    ['ArnEquals', ['arn:aws:iam:::role/rx']],
    ['ArnNotEquals', ['arn:aws:iam:::role/rx']],
    ['ArnLike', ['arn:aws:iam:::role/rx']],
    ['ArnNotLike', ['arn:aws:iam:::role/rx']],
    ['NumericEquals', ['9', '10', '11']],
    ['NumericNotEquals', ['9', '10', '11']],
    ['NumericLessThan', ['9', '10', '11']],
    ['NumericLessThanEquals', ['9', '10', '11']],
    ['NumericGreaterThan', ['9', '10', '11']],
    ['NumericGreaterThanEquals', ['9', '10', '11']],
    ['DateEquals', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['DateNotEquals', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['DateLessThan', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['DateLessThanEquals', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['DateGreaterThan', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['DateGreaterThanEquals', ['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z']],
    ['BinaryEquals', ['QUJD']],
  ])('%s tries %j, another value and absence', (operator, values) => {
    expect(optionsFor(operator)).toEqual([...values, OTHER_VALUE, undefined]);
  });

  it('IP operators try the network address and an address outside; Bool tries true, false and absence; Null, present and absent', () => {
    expect(optionsFor('IpAddress')).toEqual(['10.0.0.0', '198.51.100.77', undefined]);
    expect(optionsFor('NotIpAddress')).toEqual(['10.0.0.0', '198.51.100.77', undefined]);
    expect(optionsFor('Bool')).toEqual(['true', 'false', undefined]);
    // Null has no operand to take a value from: some value stands for the key being present (Null "false").
    expect(optionsFor('Null')).toEqual([OTHER_VALUE, undefined]);
  });

  it('epoch seconds are read as a date; a value that is no number or date adds nothing', () => {
    const options = (operator: string, value: string) =>
      dimensions(policy({ [operator]: { 'aws:PrincipalTag/x': value } }), [request([tags])])[0]?.options;
    expect(options('DateEquals', '1767225600')?.slice(0, 3)).toEqual([
      '2025-12-31T23:59:59.000Z',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:01.000Z',
    ]);
    expect(options('DateEquals', 'soon')).toEqual([OTHER_VALUE, undefined]);
    expect(options('NumericEquals', 'ten')).toEqual([OTHER_VALUE, undefined]);
  });

  it('the clauses on one key pool their values; a Bool beside a string condition still tries another value', () => {
    const d = dimensions(policy({ StringEquals: { 'aws:PrincipalTag/x': 'a' }, Bool: { 'aws:PrincipalTag/x': 'true' } }), [
      request([tags]),
    ])[0];
    expect(d?.options).toEqual(['a', 'true', 'false', OTHER_VALUE, undefined]);
  });

  it("a key first met through a variable is named as it is written in the variable; a condition on it later keeps the policy's spelling", () => {
    const viaVariable = dimensions(policy({ StringEquals: { 'aws:SourceAccount': '${aws:PrincipalTag/Team}' } }), [request([tags])]);
    expect(viaVariable.map((d) => [d.key, d.options])).toEqual([['aws:principaltag/team', [OTHER_VALUE, undefined]]]);
    const both = dimensions(
      parsePolicy({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'x' } },
          },
        ],
      }),
      [request([tags])],
    );
    expect(both.map((d) => d.key)).toEqual(['aws:PrincipalTag/Team']);
  });

  it('a key is unknown if any of the requests leaves it unknown', () => {
    const d = dimensions(policy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a' } }), [request([]), request([org])]);
    expect(d.map((x) => x.unknown)).toEqual([org]);
  });

  it('exactly MAX_WORLDS combinations are still tried', () => {
    const one = dimensions(policy({ StringEquals: { 'aws:PrincipalOrgID': 'o-a' } }), [request([org])])[0] as NonNullable<
      ReturnType<typeof dimensions>[0]
    >;
    const four = (i: number) => ({ ...one, keyLower: `k${i}`, options: ['a', 'b', 'c', undefined] });
    expect(4 ** 4).toBe(MAX_WORLDS);
    expect(worlds([four(0), four(1), four(2), four(3)])).toHaveLength(MAX_WORLDS);
  });

  it('a request that knows every key is left as it is by any world; one that leaves a key unknown gets a new context', () => {
    const known = { ...makeRequest(READER, 'kms:Decrypt', 'k', {}), unknown: [] };
    expect(inWorld(known, new Map([['aws:principalorgid', 'o-a']]))).toBe(known);
    const plain = makeRequest(READER, 'kms:Decrypt', 'k', {});
    expect(inWorld(plain, new Map([['aws:principalorgid', 'o-a']]))).toBe(plain);
    const set = inWorld(request([org]), new Map([['aws:principalorgid', 'o-a']]));
    expect(set.unknown).toEqual([]);
  });

  it('"another value" names only the placeholders; a real value is quoted', () => {
    expect(describeOption('198.51.100.77')).toBe('another value');
    expect(describeOption([OTHER_VALUE])).toBe('another value');
    expect(describeOption([OTHER_VALUE, 'x'])).toBe(`"${OTHER_VALUE}", "x"`);
  });
});
