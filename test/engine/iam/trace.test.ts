import { describe, expect, it } from 'vitest';
import { makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import { closestAllow, describeCondition, describePrincipal, label, labels, lacks, traceStatement } from '../../../engine/iam/trace.js';
import type { RequestPrincipal } from '../../../engine/iam/types.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k';
const ROLE: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/r', account: '111122223333' };
const request = makeRequest(ROLE, 'kms:Decrypt', KEY, { 'aws:SourceAccount': '111122223333', 'aws:CalledVia': ['a', 'b'] });
const policy = (...statements: Record<string, unknown>[]) => parsePolicy({ Version: '2012-10-17', Statement: statements });
const traceOf = (statement: Record<string, unknown>) => traceStatement(policy(statement).statements[0] as never, request);

describe('why a statement applies or not, in words', () => {
  it.each([
    [
      { Effect: 'Allow', Principal: { AWS: ROLE.kind === 'aws' ? ROLE.arn : '' }, Action: 'kms:Decrypt', Resource: '*' },
      'principal',
      true,
      `Principal ${ROLE.arn} matches ${ROLE.arn}`,
    ],
    [
      { Effect: 'Allow', Principal: { AWS: ['1', '2'] }, Action: 'kms:Decrypt', Resource: '*' },
      'principal',
      false,
      `Principal names [1, 2], not ${ROLE.arn}`,
    ],
    [
      { Effect: 'Allow', Principal: { Service: 's.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' },
      'principal',
      false,
      `Principal names service s.amazonaws.com, not ${ROLE.arn}`,
    ],
    [
      { Effect: 'Allow', NotPrincipal: { AWS: '444455556666' }, Action: 'kms:Decrypt', Resource: '*' },
      'principal',
      true,
      `NotPrincipal 444455556666 does not exclude ${ROLE.arn}`,
    ],
    [
      { Effect: 'Allow', NotPrincipal: { AWS: ROLE.kind === 'aws' ? ROLE.arn : '' }, Action: 'kms:Decrypt', Resource: '*' },
      'principal',
      false,
      `NotPrincipal ${ROLE.arn} excludes ${ROLE.arn}`,
    ],
    [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }, 'principal', false, 'the statement has no Principal element'],
    [
      { Effect: 'Allow', Principal: '*', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
      'action',
      true,
      'Action [kms:Encrypt, kms:Decrypt] covers kms:Decrypt',
    ],
    [
      { Effect: 'Allow', Principal: '*', NotAction: 'kms:Encrypt', Resource: '*' },
      'action',
      true,
      'NotAction kms:Encrypt does not exclude kms:Decrypt',
    ],
    [
      { Effect: 'Allow', Principal: '*', NotAction: 'kms:Decrypt', Resource: '*' },
      'action',
      false,
      'NotAction kms:Decrypt excludes kms:Decrypt',
    ],
    [{ Effect: 'Allow', Principal: '*', Resource: '*' }, 'action', false, 'the statement has no Action element'],
    [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: 'arn:aws:kms:*:*:key/other' },
      'resource',
      false,
      `Resource arn:aws:kms:*:*:key/other does not cover ${KEY}`,
    ],
    [{ Effect: 'Allow', Principal: '*', Action: '*', NotResource: 'x' }, 'resource', true, `NotResource x does not exclude ${KEY}`],
    [{ Effect: 'Allow', Principal: '*', Action: '*', NotResource: '*' }, 'resource', false, `NotResource * excludes ${KEY}`],
  ] as const)('%j: %s', (statement, element, ok, detail) => {
    expect(traceOf(statement)[element]).toEqual({ ok, detail });
  });

  it('each condition with the values it wants and what the request had; the statement applies only if all hold', () => {
    const trace = traceOf({
      Sid: 'S',
      Effect: 'Allow',
      Principal: '*',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': ['1', '111122223333'] },
        'ForAnyValue:StringEquals': { 'aws:CalledVia': 'c' },
        Null: { 'aws:x': 'true' },
      },
    });
    expect(trace).toMatchObject({ index: 0, sid: 'S', effect: 'Allow', applies: false, problems: [] });
    expect(trace.conditions).toEqual([
      { operator: 'StringEquals', key: 'aws:SourceAccount', values: ['1', '111122223333'], requestValues: ['111122223333'], ok: true },
      { operator: 'ForAnyValue:StringEquals', key: 'aws:CalledVia', values: ['c'], requestValues: ['a', 'b'], ok: false },
      { operator: 'Null', key: 'aws:x', values: ['true'], requestValues: null, ok: true },
    ]);
    expect(lacks(trace)).toEqual(['condition ForAnyValue:StringEquals aws:CalledVia c is not met by [a, b]']);
    expect(describeCondition({ operator: 'Bool', key: 'k', values: ['true'], requestValues: null, ok: false })).toBe(
      'condition Bool k true is not met: the request has no k',
    );
    expect(traceOf({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }).applies).toBe(true);
  });

  it('what a statement lacks lists its problems first, each reason once', () => {
    const trace = traceOf({ Effect: 'Alow', Principal: { Service: 's' }, Action: 'kms:Encrypt', Resource: 'x' });
    expect(lacks(trace)).toEqual([
      'Effect must be "Allow" or "Deny", found "Alow"',
      `Principal names service s, not ${ROLE.arn}`,
      'Action kms:Encrypt does not cover kms:Decrypt',
      `Resource x does not cover ${KEY}`,
    ]);
    expect(trace.applies).toBe(false);
  });

  it('the closest Allow: the right principal counts most, then the action, the resource, the conditions met; problems count against', () => {
    const closest = (...statements: Record<string, unknown>[]) => closestAllow(policy(...statements), request)?.statement.index;
    const wrongPrincipal = { Effect: 'Allow', Principal: { AWS: '999999999999' }, Action: 'kms:Decrypt', Resource: '*' };
    const wrongAction = { Effect: 'Allow', Principal: '*', Action: 'kms:Encrypt', Resource: '*' };
    const wrongResource = { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: 'x' };
    const halfConditions = {
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333', 'aws:y': 'n' } },
    };
    const noConditionMet = {
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:y': 'n', 'aws:z': 'n' } },
    };
    expect(closest(wrongAction, wrongPrincipal)).toBe(0);
    expect(closest(wrongPrincipal, wrongAction)).toBe(1);
    expect(closest(wrongResource, wrongAction)).toBe(0);
    expect(closest(wrongAction, wrongResource)).toBe(1);
    expect(closest(noConditionMet, halfConditions)).toBe(1);
    expect(closest(halfConditions, wrongResource)).toBe(0);
    expect(closest({ ...wrongResource, Effect: 'Alow' }, { ...wrongResource, Resource: 'y' })).toBe(1);
    expect(closest({ ...wrongResource, Effect: 'Deny' })).toBeUndefined();
    expect(closest(wrongResource, { ...wrongResource, Resource: 'y' })).toBe(0);
    expect(closestAllow(policy(wrongAction), request)).toEqual({
      statement: { index: 0 },
      lacks: ['Action kms:Encrypt does not cover kms:Decrypt'],
    });
    expect(closestAllow(policy({ ...wrongAction, Sid: 'W' }), request)?.statement).toEqual({ index: 0, sid: 'W' });
  });

  it('names callers and statements as an auditor reads them', () => {
    expect(describePrincipal({ kind: 'service', name: 'cloudtrail.amazonaws.com' })).toBe('service cloudtrail.amazonaws.com');
    expect(describePrincipal(ROLE)).toBe(ROLE.kind === 'aws' ? ROLE.arn : '');
    expect(label({ index: 2 })).toBe('Statement[2]');
    expect(label({ index: 2, sid: 'S' })).toBe('Statement[2] (Sid "S")');
    expect(labels([{ index: 0 }, { index: 1, sid: 'x' }])).toBe('Statement[0], Statement[1] (Sid "x")');
    const ref = { index: 3 };
    expect([label(ref), label(ref)]).toEqual(['Statement[3]', 'Statement[3]']);
  });
});
