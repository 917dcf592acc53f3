import { describe, expect, it } from 'vitest';
import { checkPolicy, type PolicyCheck } from '../../../engine/iam/check-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { RequestSpec } from '../../../engine/iam/request-spec.js';
import type { RequestPrincipal, UnknownKey } from '../../../engine/iam/types.js';

const OWN = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${OWN}:key/k`;
const unknown = (key: string, mayBeAbsent = true): UnknownKey => ({
  key,
  keyLower: key.toLowerCase(),
  prefix: false,
  hint: `what decides ${key}`,
  mayBeAbsent,
});

/** A decrypt check of IAM principals named by the policy, scoped to an encryption context, with some keys left unrecorded. */
function decrypt(
  statements: Record<string, unknown>[],
  unrecorded: UnknownKey[] = [],
  traces: unknown[] = [],
): ReturnType<typeof checkPolicy> {
  const check: PolicyCheck = {
    expect: 'allowed',
    action: 'kms:Decrypt',
    principal: { kind: 'named-by-policy', defaultAccount: OWN, partition: 'aws' },
    request: (caller: RequestPrincipal): RequestSpec => ({
      principal: caller,
      action: 'kms:Decrypt',
      resource: KEY,
      context: {},
      encryptionContext: { c: 'v' },
      unknown: unrecorded,
    }),
    probes: [{ name: 'no-c', without: ['kms:EncryptionContext:c'], requirement: 'only with c' }],
    scope: 'granting-statement',
    trace: (t) => traces.push(t),
  };
  return checkPolicy(
    parsePolicy({ Version: '2012-10-17', Statement: statements.map((s) => ({ Resource: '*', Action: 'kms:Decrypt', ...s })) }),
    check,
  );
}

const ROOT = { Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 'kms:*' };
const SCOPED = {
  Sid: 'Scoped',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${OWN}:role/r` },
  Condition: { Null: { 'kms:EncryptionContext:c': 'false' } },
};
const BROAD = { Sid: 'Broad', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:role/b` } };

describe('checkPolicy: which failure is told', () => {
  it('a passing candidate wins, whatever fails before it', () => {
    expect(decrypt([ROOT, BROAD, SCOPED])).toMatchObject({
      status: 'pass',
      reason: `allows kms:Decrypt for arn:aws:iam::${OWN}:role/r by Statement[2] (Sid "Scoped"), and not without kms:EncryptionContext:c`,
    });
  });

  it('a leak is told before a missing grant, and never the delegation statement', () => {
    const result = decrypt([ROOT, { ...SCOPED, Condition: { StringEquals: { 'kms:EncryptionContext:c': 'other' } } }, BROAD]);
    expect(result.status).toBe('fail');
    expect(result.reason).toBe(
      `allows kms:Decrypt for arn:aws:iam::${OWN}:role/b by Statement[2] (Sid "Broad"), and also without kms:EncryptionContext:c; it has no Condition, so nothing confines the grant`,
    );
  });

  it('of two non-delegation failures the higher ranked is told, in whichever order they come', () => {
    const missing = { ...SCOPED, Condition: { StringEquals: { 'kms:EncryptionContext:c': 'other' } } };
    for (const statements of [
      [missing, BROAD],
      [BROAD, missing],
    ])
      expect(decrypt(statements).reason).toContain('and also without kms:EncryptionContext:c');
  });

  it('with only the delegation statement, the reason says what no statement grants and that the delegation can stay', () => {
    expect(decrypt([ROOT]).reason).toBe(
      'has no statement that grants kms:Decrypt to an IAM principal only with c (Statement[0] (Sid "Root") only delegates to the account\'s IAM policies, as a default key policy does, and can stay)',
    );
    expect(decrypt([ROOT, { ...ROOT, Sid: 'Root2' }]).reason).toContain(
      '(Statement[0] (Sid "Root"), Statement[1] (Sid "Root2") only delegates',
    );
  });

  it("…and names a Deny that blocks the account's principals too", () => {
    const deny = { Sid: 'NoDecrypt', Effect: 'Deny', Principal: '*' };
    expect(decrypt([ROOT, deny]).reason).toBe(
      'has no statement that grants kms:Decrypt to an IAM principal only with c, and Statement[1] (Sid "NoDecrypt") denies kms:Decrypt to the account\'s principals',
    );
  });

  it('without an Allow naming an IAM principal, it says so and names invalid statements', () => {
    const result = decrypt([
      { Effect: 'Allow', Principal: { Service: 's.amazonaws.com' } },
      { Sid: 'Bad', Effect: 'Deny', Principal: '*', Action: null },
    ]);
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'has no Allow statement naming an IAM principal (an account, user or role) that could call kms:Decrypt',
      evidence: { decision: 'not-allowed', policyProblems: ['Statement[1] (Sid "Bad"): Action must hold strings, found null'] },
    });
  });

  it('an invalid Allow is a candidate that grants nothing: the reason names what is wrong with it', () => {
    expect(decrypt([{ Sid: 'Bad', Effect: 'Alow', Principal: '*' }]).reason).toBe(
      `does not allow kms:Decrypt for any principal of account ${OWN}: the closest, Statement[0] (Sid "Bad"), Effect must be "Allow" or "Deny", found "Alow"`,
    );
  });
});

describe('checkPolicy: values nobody recorded', () => {
  const perimeter = (keys: Record<string, string>) => ({
    Sid: 'Perimeter',
    Effect: 'Deny',
    Principal: '*',
    Condition: { StringNotEquals: keys },
  });

  it('one decisive key: the reason says which value passes, and what would decide it', () => {
    const result = decrypt([SCOPED, perimeter({ 'aws:PrincipalOrgID': 'o-a' })], [unknown('aws:PrincipalOrgID')]);
    expect(result.status).toBe('unknown');
    expect(result.reason).toBe(
      `cannot be decided from the snapshot, which does not record aws:PrincipalOrgID: pass if aws:PrincipalOrgID is "o-a"; fail otherwise (denies kms:Decrypt for arn:aws:iam::${OWN}:role/r by Statement[1] (Sid "Perimeter"), although Statement[0] (Sid "Scoped") allows it). To decide it, aws:PrincipalOrgID: what decides aws:PrincipalOrgID`,
    );
    expect(result.evidence.unrecorded).toEqual([
      {
        key: 'aws:PrincipalOrgID',
        decidedBy: 'what decides aws:PrincipalOrgID',
        decisive: true,
        outcomes: { '"o-a"': 'pass', 'another value': 'fail', absent: 'fail' },
      },
    ]);
  });

  it('when fewer cases fail than pass, the reason lists the failing ones', () => {
    const deny = { Sid: 'OnlyA', Effect: 'Deny', Principal: '*', Condition: { StringEquals: { 'aws:PrincipalTag/t': 'a' } } };
    const result = decrypt([SCOPED, deny], [unknown('aws:PrincipalTag/t')]);
    expect(result.reason).toContain('which does not record aws:PrincipalTag/t: fail if aws:PrincipalTag/t is "a" (denies kms:Decrypt');
    expect(result.reason).toContain('; pass otherwise. To decide it');
  });

  it('two decisive keys: each case names both', () => {
    const result = decrypt(
      [SCOPED, perimeter({ 'aws:PrincipalOrgID': 'o-a', 'aws:SourceVpc': 'vpc-1' })],
      [unknown('aws:PrincipalOrgID'), unknown('aws:SourceVpc')],
    );
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain('which does not record aws:PrincipalOrgID or aws:SourceVpc:');
    expect(result.reason).toContain('fail if aws:PrincipalOrgID is another value and aws:SourceVpc is another value, or if');
    expect(result.reason).toContain(
      'To decide it, aws:PrincipalOrgID: what decides aws:PrincipalOrgID; aws:SourceVpc: what decides aws:SourceVpc',
    );
  });

  it('a key that decides nothing is listed as such, and the verdict stands', () => {
    const result = decrypt([SCOPED, perimeter({ 'aws:PrincipalOrgID': 'o-a' })], [unknown('aws:PrincipalOrgID'), unknown('aws:SourceVpc')]);
    expect(result.evidence.unrecorded?.map((u) => [u.key, u.decisive])).toEqual([['aws:PrincipalOrgID', true]]);
    const twoStatements = decrypt(
      [
        SCOPED,
        perimeter({ 'aws:PrincipalOrgID': 'o-a' }),
        { Sid: 'Never', Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Condition: { StringEquals: { 'aws:SourceVpc': 'v' } } },
      ],
      [unknown('aws:PrincipalOrgID'), unknown('aws:SourceVpc')],
    );
    expect(twoStatements.evidence.unrecorded?.map((u) => u.key)).toEqual(['aws:PrincipalOrgID']);
  });

  it("of two unrecorded keys only the decisive one is named; the other's values each see both verdicts", () => {
    const other = {
      Sid: 'Other',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OWN}:role/other` },
      Condition: { StringEquals: { 'aws:SourceVpc': 'v' } },
    };
    const result = decrypt(
      [SCOPED, perimeter({ 'aws:PrincipalOrgID': 'o-a' }), other],
      [unknown('aws:PrincipalOrgID'), unknown('aws:SourceVpc')],
    );
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain('which does not record aws:PrincipalOrgID: pass if aws:PrincipalOrgID is "o-a"; fail otherwise');
    expect(result.reason).not.toContain('aws:SourceVpc');
    expect(result.evidence.unrecorded).toEqual([
      {
        key: 'aws:PrincipalOrgID',
        decidedBy: 'what decides aws:PrincipalOrgID',
        decisive: true,
        outcomes: { '"o-a"': 'pass', 'another value': 'fail', absent: 'fail' },
      },
      {
        key: 'aws:SourceVpc',
        decidedBy: 'what decides aws:SourceVpc',
        decisive: false,
        outcomes: { '"v"': 'pass or fail', 'another value': 'pass or fail', absent: 'pass or fail' },
      },
    ]);
  });

  it('the same verdict in every case stands, saying so; the key is listed as not decisive', () => {
    const result = decrypt([BROAD, perimeter({ 'aws:PrincipalOrgID': 'o-a' })], [unknown('aws:PrincipalOrgID')]);
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/ \(whatever the unrecorded aws:PrincipalOrgID is\)$/);
    expect(result.evidence.unrecorded).toEqual([
      {
        key: 'aws:PrincipalOrgID',
        decidedBy: 'what decides aws:PrincipalOrgID',
        decisive: false,
        outcomes: { '"o-a"': 'fail', 'another value': 'fail', absent: 'fail' },
      },
    ]);
    const two = decrypt(
      [BROAD, perimeter({ 'aws:PrincipalOrgID': 'o-a', 'aws:SourceVpc': 'v' })],
      [unknown('aws:PrincipalOrgID'), unknown('aws:SourceVpc')],
    );
    expect(two.reason).toMatch(/ \(whatever the unrecorded aws:PrincipalOrgID, aws:SourceVpc are\)$/);
  });

  it('a key AWS always sends is never tried as absent', () => {
    const result = decrypt([SCOPED, perimeter({ 'aws:SourceIp': 'x' })], [unknown('aws:SourceIp', false)]);
    expect(Object.keys(result.evidence.unrecorded?.[0]?.outcomes ?? {})).toEqual(['"x"', 'another value']);
  });

  it('more combinations than are tried: unknown, naming every key', () => {
    const keys = ['aws:a1', 'aws:a2', 'aws:a3', 'aws:a4', 'aws:a5', 'aws:a6'];
    const result = decrypt(
      [SCOPED, perimeter(Object.fromEntries(keys.map((k) => [k, 'x'])))],
      keys.map((k) => unknown(k)),
    );
    expect(result).toMatchObject({
      status: 'unknown',
      reason:
        "cannot be decided from the snapshot: the policy's conditions read 6 keys no snapshot records (aws:a1, aws:a2, aws:a3, aws:a4, aws:a5, aws:a6), more combinations than the 256 trailguard tries",
    });
    expect(result.evidence.unrecorded?.map((u) => [u.key, u.decisive, u.outcomes])).toEqual(keys.map((k) => [k, false, {}]));
  });

  it('each case tried is traced with the values it gave', () => {
    const traces: { label: string; assumed?: Record<string, string> }[] = [];
    decrypt([SCOPED, perimeter({ 'aws:PrincipalOrgID': 'o-a' })], [unknown('aws:PrincipalOrgID')], traces);
    expect(traces.filter((t) => t.label === 'request').map((t) => t.assumed)).toEqual([
      { 'aws:principalorgid': '"o-a"' },
      { 'aws:principalorgid': 'another value' },
      { 'aws:principalorgid': 'absent' },
    ]);
    expect(traces.find((t) => t.label === 'probe no-c')?.assumed).toEqual({ 'aws:principalorgid': '"o-a"' });
  });
});

describe('checkPolicy: bounded evidence', () => {
  const readers = (n: number, extra: Record<string, unknown> = {}) =>
    Array.from({ length: n }, (_, i) => ({ Sid: `R${i}`, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:role/r` }, ...extra }));
  const denies = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      Sid: `D${i}`,
      Effect: 'Deny',
      Principal: '*',
      Condition: { Null: { 'kms:EncryptionContext:c': 'true' } },
    }));

  it('ten statements are listed whole; the eleventh is counted, not listed', () => {
    const ten = decrypt([...readers(10), ...denies(10)]).evidence;
    expect(ten.allowedBy).toHaveLength(10);
    expect(ten.omitted).toBeUndefined();
    const eleven = decrypt([...readers(11), ...denies(12)]).evidence;
    expect(eleven.allowedBy?.map((r) => r.sid)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8', 'R9']);
    expect(eleven.omitted).toEqual({ allowedBy: 1 });
  });

  /** The same decrypt request judged by the policy's whole decision (not one granting statement). */
  const decided = (statements: Record<string, unknown>[]) =>
    checkPolicy(
      parsePolicy({ Version: '2012-10-17', Statement: statements.map((st) => ({ Resource: '*', Action: 'kms:Decrypt', ...st })) }),
      {
        expect: 'allowed',
        action: 'kms:Decrypt',
        principal: { kind: 'named-by-policy', defaultAccount: OWN, partition: 'aws' },
        request: (caller) => ({
          principal: caller,
          action: 'kms:Decrypt',
          resource: KEY,
          context: {},
          encryptionContext: { c: 'v' },
          unknown: [],
        }),
        probes: [{ name: 'no-c', without: ['kms:EncryptionContext:c'], requirement: 'only with c' }],
        scope: 'policy',
      },
    );

  it('a denied request lists ten of its Deny statements and counts the rest', () => {
    const result = decided([
      { Sid: 'R', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:role/r` } },
      ...Array.from({ length: 13 }, (_, i) => ({ Sid: `D${i}`, Effect: 'Deny', Principal: '*' })),
    ]);
    expect(result.status).toBe('fail');
    expect(result.evidence.deniedBy).toHaveLength(10);
    expect(result.evidence.omitted).toEqual({ deniedBy: 3 });
    expect(result.reason).toContain('Statement[1] (Sid "D0"), Statement[2] (Sid "D1"), Statement[3] (Sid "D2") and 10 more');
  });

  it('three statements are named in a message; a fourth is counted', () => {
    const deny = (n: number) =>
      decided([
        { Sid: 'R', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:role/r` } },
        ...Array.from({ length: n }, (_, i) => ({ Sid: `D${i}`, Effect: 'Deny', Principal: '*' })),
      ]).reason;
    expect(deny(3)).toMatch(/Statement\[3\] \(Sid "D2"\)(?! and)/);
    expect(deny(3)).not.toContain('more');
    expect(deny(4)).toContain('Statement[3] (Sid "D2") and 1 more');
  });

  it('a probe allowed by exactly ten statements lists them all and counts nothing', () => {
    const result = decided(readers(10));
    expect(result.evidence.probes?.find((p) => p.name === 'no-c')?.allowedBy).toHaveLength(10);
    expect(result.evidence.omitted).toBeUndefined();
  });

  it('a probe that leaks lists ten of the statements that allow it', () => {
    const result = decided(readers(12));
    expect(result.status).toBe('fail');
    const probe = result.evidence.probes?.find((p) => p.name === 'no-c');
    expect(probe?.allowedBy).toHaveLength(10);
    expect(result.evidence.omitted).toEqual({ allowedBy: 2, 'probes.no-c.allowedBy': 2 });
  });

  it('problems of invalid statements: ten are named, the rest counted', () => {
    const result = decrypt([SCOPED, ...Array.from({ length: 11 }, () => ({ Effect: 'Maybe', Principal: '*' }))]);
    expect(result.evidence.policyProblems).toHaveLength(10);
    expect(result.evidence.omitted).toEqual({ policyProblems: 1 });
  });
});
