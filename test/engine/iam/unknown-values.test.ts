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
