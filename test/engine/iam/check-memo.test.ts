import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckMemo, checkPolicy, newCheckMemo, type PolicyCheck, type PolicyCheckResult } from '../../../engine/iam/check-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { Probe, RequestSpec } from '../../../engine/iam/request-spec.js';
import type { RequestPrincipal, UnknownKey } from '../../../engine/iam/types.js';

/**
 * The memo of policy checks (CheckMemo) against deciding afresh: over random policies and series of checks that
 * differ in their request values (trails of two accounts, present or missing encryption context), every result
 * given with the memo is the one given without it, word for word. Seeded: a failure prints the counterexample.
 */
const RUNS = { seed: 20261202, numRuns: 400 };

const A = '111122223333';
const B = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${A}:key/k1`;
const trailArn = (account: string, name: string) => `arn:aws:cloudtrail:us-east-1:${account}:trail/${name}`;
const TRAILS = [trailArn(A, 'main'), trailArn(A, 'audit'), trailArn(A, 'x*y'), trailArn(B, 'main'), trailArn(B, 'other')];

type Json = string | Json[] | { [key: string]: Json };

const principalElements: Json[] = [
  '*',
  { AWS: A },
  { AWS: `arn:aws:iam::${A}:root` },
  { AWS: `arn:aws:iam::${A}:role/Reader` },
  { AWS: B },
  { Service: 'cloudtrail.amazonaws.com' },
];
const actionElements: Json[] = ['kms:*', 'kms:GenerateDataKey*', 'kms:Decrypt', ['kms:Decrypt', 'kms:GenerateDataKey*'], 'kms:DescribeKey'];
const conditionKeys = [
  'aws:SourceArn',
  'aws:SourceAccount',
  'kms:EncryptionContext:aws:cloudtrail:arn',
  'kms:EncryptionContextKeys',
  'aws:PrincipalOrgID',
  'kms:CallerAccount',
];
const operators = [
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'ArnLike',
  'ArnNotLike',
  'ArnEquals',
  'Null',
  'StringEqualsIfExists',
  'ForAnyValue:StringLike',
  'ForAllValues:StringEquals',
];
const values = [
  ...TRAILS,
  `arn:aws:cloudtrail:*:${A}:trail/*`,
  'arn:aws:cloudtrail:*:*:trail/*',
  `arn:aws:cloudtrail:us-east-1:${A}:trail/m*`,
  A,
  B,
  'aws:cloudtrail:arn',
  'o-exampleorg1',
  'true',
  'false',
  '${aws:SourceAccount}',
  '${aws:PrincipalOrgID}',
];

const condition = fc.dictionary(
  fc.constantFrom(...operators),
  fc.dictionary(fc.constantFrom(...conditionKeys), fc.subarray(values, { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 2 }),
  { minKeys: 1, maxKeys: 2 },
);
const statement = fc.record(
  {
    Sid: fc.constantFrom('One', 'Two', 'Three'),
    Effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
    Principal: fc.constantFrom(...principalElements),
    Action: fc.constantFrom(...actionElements),
    Resource: fc.constant('*'),
    Condition: condition,
  },
  { requiredKeys: ['Effect', 'Principal', 'Action', 'Resource'] },
);
/** Statements that grant the checks as confined as they ask, so that series of passes are common too. */
const GRANTS: Json[] = [
  {
    Sid: 'Generate',
    Effect: 'Allow',
    Principal: { Service: 'cloudtrail.amazonaws.com' },
    Action: 'kms:GenerateDataKey*',
    Resource: '*',
    Condition: {
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${A}:trail/*` },
      StringEquals: { 'aws:SourceAccount': A },
    },
  },
  {
    Sid: 'Decrypt',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${A}:role/Reader` },
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
  },
];
const policyDocument = fc
  .tuple(fc.boolean(), fc.array(statement, { minLength: 1, maxLength: 4 }))
  .map(([granted, random]) => ({ Version: '2012-10-17', Statement: granted ? [...GRANTS, ...random] : random }));

/** One request of a series: a trail, whether the encryption context is sent, and whether the organisation is recorded. */
const asked = fc.record({ trail: fc.constantFrom(...TRAILS), withContext: fc.boolean(), orgKnown: fc.boolean() });

const ORG_UNKNOWN: readonly UnknownKey[] = [
  { key: 'aws:PrincipalOrgID', keyLower: 'aws:principalorgid', prefix: false, hint: 'collect the organisation', mayBeAbsent: true },
];
const NONE: readonly UnknownKey[] = [];

const PROBES: readonly Probe[] = [
  { name: 'no-encryption-context', without: ['kms:EncryptionContext:aws:cloudtrail:arn'] },
  { name: 'other-account', otherAccount: A },
];

/** A check like the built-in pack's: CloudTrail generating a data key for a trail, or principals decrypting its logs. */
function checkFor(kind: 'generate' | 'decrypt', request: { trail: string; withContext: boolean; orgKnown: boolean }): PolicyCheck {
  const account = request.trail.split(':')[4] as string;
  const action = kind === 'generate' ? 'kms:GenerateDataKey' : 'kms:Decrypt';
  return {
    expect: 'allowed',
    action,
    principal:
      kind === 'generate'
        ? { kind: 'fixed', principal: { kind: 'service', name: 'cloudtrail.amazonaws.com' } }
        : { kind: 'named-by-policy', defaultAccount: A, partition: 'aws' },
    request: (caller: RequestPrincipal): RequestSpec => ({
      principal: caller,
      action,
      resource: KEY,
      context: kind === 'generate' ? { 'aws:SourceArn': request.trail, 'aws:SourceAccount': account } : {},
      encryptionContext: request.withContext ? { 'aws:cloudtrail:arn': request.trail } : {},
      ...(request.orgKnown ? { standard: { 'aws:PrincipalOrgID': 'o-exampleorg1' }, unknown: NONE } : { unknown: ORG_UNKNOWN }),
    }),
    probes: kind === 'generate' ? PROBES : PROBES.slice(0, 1),
    scope: kind === 'generate' ? 'policy' : 'granting-statement',
  };
}

describe('CheckMemo', () => {
  it('gives every check of a series the result deciding it afresh gives, word for word', () => {
    let shared = 0;
    let retold = 0;
    let decided = 0;
    fc.assert(
      fc.property(
        policyDocument,
        fc.constantFrom('generate' as const, 'decrypt' as const),
        fc.array(asked, { minLength: 2, maxLength: 8 }),
        (document, kind, series) => {
          const policy = parsePolicy(document);
          const memo: CheckMemo = newCheckMemo();
          const given: PolicyCheckResult[] = [];
          let sharedHere = 0;
          for (const request of series) {
            const fresh = checkPolicy(policy, checkFor(kind, request));
            const memoised = checkPolicy(policy, checkFor(kind, request), memo);
            expect(JSON.stringify(memoised)).toBe(JSON.stringify(fresh));
            if (given.includes(memoised)) sharedHere++;
            given.push(memoised);
          }
          // Each entry of the memo is one decision; every other check was given from the memo (shared or retold).
          const entries = [...(memo.get(policy)?.values() ?? [])];
          decided += entries.length;
          shared += sharedHere;
          if (entries.some((e) => e.retarget !== undefined)) retold += series.length - entries.length - sharedHere;
        },
      ),
      RUNS,
    );
    // The property means something only if the memo was used: shared passes and failures retold for their own request.
    expect(shared).toBeGreaterThan(30);
    expect(retold).toBeGreaterThan(100);
    expect(decided).toBeGreaterThan(100);
  });

  it('tells two trails that one statement names apart: the memo never shares a verdict the conditions do not', () => {
    const policy = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Main only',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceArn': TRAILS[0] as string } },
        },
      ],
    });
    const memo = newCheckMemo();
    const main = checkPolicy(policy, checkFor('generate', { trail: TRAILS[0] as string, withContext: true, orgKnown: true }), memo);
    const audit = checkPolicy(policy, checkFor('generate', { trail: TRAILS[1] as string, withContext: true, orgKnown: true }), memo);
    const other = checkPolicy(policy, checkFor('generate', { trail: TRAILS[2] as string, withContext: true, orgKnown: true }), memo);
    expect([main.status, audit.status, other.status]).toEqual(['fail', 'fail', 'fail']);
    // Only main is granted (and leaks: nothing asks for the encryption context); the others are refused in their own words.
    expect(main.reason).toContain('and also without kms:EncryptionContext:aws:cloudtrail:arn');
    expect(audit.reason).toContain(`is not met by ${TRAILS[1]}`);
    expect(other.reason).toContain(`is not met by ${TRAILS[2]}`);
    expect(other.evidence.request?.context['aws:SourceArn']).toBe(TRAILS[2]);
  });

  // Twins: two checks of one policy that agree on much but must come out differently. Each row pins one part of the
  // memo key: without it, the second check would be given the first one's verdict.
  const generateFor = (trail: string, changes: Partial<RequestSpec> = {}, unknown: readonly UnknownKey[] = NONE): PolicyCheck => {
    const base = checkFor('generate', { trail, withContext: true, orgKnown: true });
    return { ...base, request: (caller) => ({ ...base.request(caller), unknown, ...changes }) };
  };
  const grant = (condition: Json, resource = '*'): Json => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: resource,
        Condition: condition,
      },
    ],
  });
  /** A grant as confined as the check asks, and a Deny with the given condition. */
  const withDeny = (condition: Json): Json => ({
    Version: '2012-10-17',
    Statement: [GRANTS[0] as Json, { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: condition }],
  });
  const ORG = (hint: string): readonly UnknownKey[] => [{ ...(ORG_UNKNOWN[0] as UnknownKey), hint }];
  const twins: { part: string; policy: Json; first: PolicyCheck; second: PolicyCheck }[] = [
    {
      part: 'the truth of each probe',
      policy: grant({
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:*:trail/*' },
        StringEquals: { 'aws:SourceAccount': [A, B] },
      }),
      first: generateFor(trailArn(B, 'main')),
      second: generateFor(trailArn(A, 'main')),
    },
    {
      part: 'the truth of each combination of unrecorded values',
      policy: withDeny({
        StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' },
        StringLike: { 'aws:SourceArn': '*${aws:PrincipalOrgID}' },
      }),
      first: generateFor(trailArn(A, 'main'), { standard: {} }, ORG_UNKNOWN),
      second: generateFor(trailArn(A, 'o-exampleorg1'), { standard: {} }, ORG_UNKNOWN),
    },
    {
      part: 'what decides each unrecorded key',
      policy: withDeny({ StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1', 'aws:SourceAccount': '000000000000' } }),
      first: generateFor(trailArn(A, 'main'), { standard: {} }, ORG('collect one thing')),
      second: generateFor(trailArn(A, 'main'), { standard: {} }, ORG('collect another')),
    },
    {
      part: 'which context keys are present',
      policy: withDeny({ Null: { 'aws:PrincipalOrgID': ['true', 'false'] }, StringEquals: { 'aws:SourceAccount': '000000000000' } }),
      first: generateFor(trailArn(A, 'main'), { standard: { 'aws:PrincipalOrgID': 'o-x' } }, ORG_UNKNOWN),
      second: generateFor(trailArn(A, 'main'), { standard: {} }, ORG_UNKNOWN),
    },
    {
      part: 'the resource',
      policy: grant({ StringEquals: { 'aws:SourceAccount': A } }, KEY),
      first: generateFor(trailArn(A, 'main')),
      second: generateFor(trailArn(A, 'main'), { resource: `${KEY}-other` }),
    },
    {
      part: 'the check itself',
      policy: grant({ StringEquals: { 'aws:SourceAccount': A } }),
      first: generateFor(trailArn(A, 'main')),
      second: {
        ...generateFor(trailArn(A, 'main')),
        probes: [{ ...(PROBES[0] as Probe), description: 'without its context' }, ...PROBES.slice(1)],
      },
    },
  ];
  it.each(twins)('tells apart two checks that differ only in $part', ({ policy: document, first, second }) => {
    const policy = parsePolicy(document);
    const memo = newCheckMemo();
    const one = checkPolicy(policy, first, memo);
    const two = checkPolicy(policy, second, memo);
    expect(JSON.stringify(one)).toBe(JSON.stringify(checkPolicy(policy, first)));
    expect(JSON.stringify(two)).toBe(JSON.stringify(checkPolicy(policy, second)));
    const verdict = (r: PolicyCheckResult) => `${r.status} ${r.reason} ${JSON.stringify(r.evidence.unrecorded)}`;
    expect(verdict(two)).not.toBe(verdict(one));
  });
});
