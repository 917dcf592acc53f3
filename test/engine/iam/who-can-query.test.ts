import { describe, expect, it } from 'vitest';
import type { Grantee } from '../../../engine/core/evidence.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { RequestSpec } from '../../../engine/iam/request-spec.js';
import type { RequestPrincipal, UnknownKey } from '../../../engine/iam/types.js';
import { whoCan } from '../../../engine/iam/who-can.js';

const OWN = '111122223333';
const OTHER = '333344445555';
const KEY = `arn:aws:kms:us-east-1:${OWN}:key/k`;
const EC = 'kms:EncryptionContext:aws:cloudtrail:arn';
const ORG: UnknownKey = {
  key: 'aws:PrincipalOrgID',
  keyLower: 'aws:principalorgid',
  prefix: false,
  hint: 'its organisation',
  mayBeAbsent: true,
};

/** The grantees of kms:Decrypt on KEY under a policy of these statements. */
function query(statements: unknown[], options: { without?: string[]; unknown?: UnknownKey[]; context?: Record<string, string> } = {}) {
  const request = (principal: RequestPrincipal): RequestSpec => ({
    principal,
    action: 'kms:Decrypt',
    resource: KEY,
    context: options.context ?? {},
    encryptionContext: {},
    ...(options.unknown === undefined ? {} : { unknown: options.unknown }),
  });
  return whoCan(parsePolicy({ Version: '2012-10-17', Statement: statements }), {
    action: 'kms:Decrypt',
    request,
    without: options.without ?? [],
    partition: 'aws',
  });
}

const allow = (principal: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: principal,
  Action: 'kms:Decrypt',
  Resource: '*',
  ...extra,
});
const who = (grantees: readonly Grantee[]) => grantees.map((g) => `${g.who}: ${g.status}`);

// Each row has a twin that differs in one thing and comes out the other way.
describe('whoCan: the grantees of a request', () => {
  it('names each grantee with its kind, account, ARN, status and granting statements, in statement order', () => {
    const result = query([
      allow({ AWS: OWN }, { Sid: 'own' }),
      allow({ AWS: `arn:aws:iam::${OTHER}:role/Reader` }),
      allow({ Service: 'CloudTrail.amazonaws.com' }),
    ]);
    expect(result).toEqual({
      action: 'kms:Decrypt',
      grantees: [
        {
          who: `account ${OWN}`,
          kind: 'account',
          account: OWN,
          arn: `arn:aws:iam::${OWN}:root`,
          status: 'granted',
          allowedBy: [{ index: 0, sid: 'own' }],
        },
        {
          who: `arn:aws:iam::${OTHER}:role/Reader`,
          kind: 'principal',
          account: OTHER,
          arn: `arn:aws:iam::${OTHER}:role/Reader`,
          status: 'granted',
          allowedBy: [{ index: 1 }],
        },
        {
          who: 'service cloudtrail.amazonaws.com',
          kind: 'service',
          service: 'cloudtrail.amazonaws.com',
          status: 'granted',
          allowedBy: [{ index: 2 }],
        },
      ],
    });
  });

  it('an invalid statement grants nothing and is named; twin: the same statement valid grants', () => {
    const invalid = query([allow({ AWS: OTHER }, { Effect: 'Permit' })]);
    expect(invalid.grantees).toEqual([]);
    expect(invalid.policyProblems).toEqual([expect.stringMatching(/^Statement\[0\] /)]);
    const valid = query([allow({ AWS: OTHER })]);
    expect(who(valid.grantees)).toEqual([`account ${OTHER}: granted`]);
    expect(valid.policyProblems).toBeUndefined();
  });

  it('a Deny names no grantee; twin: the same statement as an Allow', () => {
    expect(query([{ ...allow({ AWS: OTHER }), Effect: 'Deny' }]).grantees).toEqual([]);
    expect(who(query([allow({ AWS: OTHER })]).grantees)).toEqual([`account ${OTHER}: granted`]);
  });

  it('a principal two statements grant under different contexts is one grantee, both statements in index order', () => {
    const result = query([
      allow({ AWS: OTHER }, { Condition: { StringEquals: { [EC]: 'b' } } }),
      allow({ AWS: OTHER }, { Condition: { StringEquals: { [EC]: 'a' } } }),
    ]);
    expect(result.grantees).toHaveLength(1);
    expect(result.grantees[0]?.allowedBy).toEqual([{ index: 0 }, { index: 1 }]);
    expect(result.grantees[0]?.conditions).toEqual([`StringEquals ${EC} "b"`, `StringEquals ${EC} "a"`]);
  });

  it('only conditions on open keys are listed; a condition on a given key is not', () => {
    const given = query([allow({ AWS: OTHER }, { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1', [EC]: 'x' } } })], {
      context: { 'aws:SourceVpce': 'vpce-1' },
    });
    expect(given.grantees[0]?.conditions).toEqual([`StringEquals ${EC} "x"`]);
    const open = query([allow({ AWS: OTHER }, { Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1', [EC]: 'x' } } })]);
    expect(open.grantees[0]?.conditions).toEqual(['StringEquals aws:SourceVpce "vpce-1"', `StringEquals ${EC} "x"`]);
  });

  it('a key the request leaves out (without, any case) cannot satisfy a condition; twin: left open it can', () => {
    const statement = allow({ AWS: OTHER }, { Condition: { StringLike: { [EC]: '*' } } });
    expect(query([statement], { without: [EC.toUpperCase()] }).grantees).toEqual([]);
    expect(who(query([statement]).grantees)).toEqual([`account ${OTHER}: granted`]);
  });

  it('a key the catalogue says this caller never sends stays absent; twin: …IfExists is met by its absence', () => {
    const sourceArn = (operator: string) =>
      allow({ AWS: OTHER }, { Condition: { [operator]: { 'aws:SourceArn': 'arn:aws:cloudtrail:*' } } });
    expect(query([sourceArn('ArnLike')]).grantees).toEqual([]);
    expect(who(query([sourceArn('ArnLikeIfExists')]).grantees)).toEqual([`account ${OTHER}: granted`]);
  });

  it('a grant that depends on an unrecorded fact is unknown, naming it; twin: a grant that holds whatever the fact is', () => {
    const org = allow('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } });
    const unknown = query([org], { unknown: [ORG] });
    expect(unknown.grantees).toEqual([
      expect.objectContaining({
        kind: 'anyone',
        status: 'unknown',
        dependsOn: ['aws:PrincipalOrgID'],
        reason: 'granted for some values of aws:PrincipalOrgID, which no snapshot records',
        conditions: ['StringEquals aws:PrincipalOrgID "o-1"'],
      }),
    ]);
    const either = query([org, allow('*')], { unknown: [ORG] });
    expect(either.grantees.map((g) => [g.status, g.dependsOn, g.reason])).toEqual([['granted', undefined, undefined]]);
  });

  it('an unrecorded key the caller chooses (not a fact) is open: granted for some value; twin: a fact is unknown', () => {
    const ip: UnknownKey = { key: 'aws:SourceIp', keyLower: 'aws:sourceip', prefix: false, hint: 'its address', mayBeAbsent: true };
    const byIp = allow({ AWS: OTHER }, { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } });
    expect(who(query([byIp], { unknown: [ip] }).grantees)).toEqual([`account ${OTHER}: granted`]);
    const byTag = allow({ AWS: OTHER }, { Condition: { StringEquals: { 'aws:ResourceTag/team': 'a' } } });
    const tag: UnknownKey = {
      key: 'aws:ResourceTag/',
      keyLower: 'aws:resourcetag/',
      prefix: true,
      hint: 'the key tags',
      mayBeAbsent: true,
    };
    expect(who(query([byTag], { unknown: [tag] }).grantees)).toEqual([`account ${OTHER}: unknown`]);
  });

  it('a wildcard stands for an account the policy does not name, never the key own; twin: a wildcard pinned to an ARN', () => {
    const open = query([allow('*')]);
    expect(open.grantees).toHaveLength(1);
    const [anyone] = open.grantees;
    expect(anyone?.kind).toBe('anyone');
    expect(anyone?.account).toMatch(/^\d{12}$/);
    expect(anyone?.account).not.toBe(OWN);
    expect(anyone?.who).toBe(`any principal of account ${anyone?.account}, which the policy does not name`);
    expect(anyone?.arn).toBeUndefined();
    const pinned = query([allow('*', { Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${OTHER}:role/Reader*` } } })]);
    expect(pinned.grantees.map((g) => [g.kind, g.who, g.account])).toEqual([
      ['principal', `principals matching arn:aws:iam::${OTHER}:role/Reader*`, OTHER],
    ]);
  });

  it('more combinations than are tried make the grantee unknown, saying so; twin: few enough are decided', () => {
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`kms:EncryptionContext:k${i}`, ['a', 'b']]));
    const result = query([allow({ AWS: OTHER }, { Condition: { StringEquals: many } })]);
    expect(result.grantees).toEqual([
      expect.objectContaining({
        who: `account ${OTHER}`,
        status: 'unknown',
        allowedBy: [],
        reason: 'its conditions read 9 keys the request leaves open, more combinations of values than trailguard tries (256)',
      }),
    ]);
    expect(result.grantees[0]?.dependsOn).toHaveLength(9);
    const few = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`kms:EncryptionContext:k${i}`, ['a', 'b']]));
    expect(who(query([allow({ AWS: OTHER }, { Condition: { StringEquals: few } })]).grantees)).toEqual([`account ${OTHER}: granted`]);
  });

  it('NotPrincipal in an Allow stands for anyone; twin: a Principal Allow stands for whom it names', () => {
    expect(
      query([{ Effect: 'Allow', NotPrincipal: { AWS: OTHER }, Action: 'kms:Decrypt', Resource: '*' }]).grantees.map((g) => g.kind),
    ).toEqual(['anyone']);
    expect(query([allow({ AWS: OTHER })]).grantees.map((g) => g.kind)).toEqual(['account']);
  });
});
