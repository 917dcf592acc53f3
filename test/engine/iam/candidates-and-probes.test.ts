import { describe, expect, it } from 'vitest';
import { candidatesFor, isDelegation } from '../../../engine/iam/candidates.js';
import { makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { otherAccounts } from '../../../engine/iam/other-accounts.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import { buildRequest, describeProbe, describeRequirement, forAccount, withoutKeys } from '../../../engine/iam/request-spec.js';

const OWN = '111122223333';
const source = { kind: 'named-by-policy', defaultAccount: OWN, partition: 'aws' } as const;
const policy = (...statements: Record<string, unknown>[]) =>
  parsePolicy({ Version: '2012-10-17', Statement: statements.map((s) => ({ Action: 'kms:Decrypt', Resource: '*', ...s })) });

describe('the callers a named-by-policy check tries', () => {
  it('each IAM principal an Allow names, once per statement; never a Deny, a service, or a NotPrincipal statement', () => {
    const candidates = candidatesFor(
      policy(
        {
          Sid: 'A',
          Effect: 'Allow',
          Principal: { AWS: [OWN, `arn:aws:iam::${OWN}:root`, `arn:aws:iam::${OWN}:role/r`, `arn:aws:iam::${OWN}:role/r`] },
        },
        { Sid: 'D', Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::444455556666:role/x' } },
        { Sid: 'S', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' } },
        { Sid: 'N', Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::444455556666:role/x' } },
        { Sid: 'F', Effect: 'Allow', Principal: { Federated: 'accounts.google.com' } },
      ),
      source,
    );
    expect(candidates.map((c) => [c.statement?.sid, c.principal.kind === 'aws' ? c.principal.arn : '', c.description ?? null])).toEqual([
      ['A', `arn:aws:iam::${OWN}:root`, `account ${OWN}`],
      ['A', `arn:aws:iam::${OWN}:role/r`, null],
    ]);
  });

  it('a fixed caller is the only one', () => {
    const caller = { kind: 'service', name: 'cloudtrail.amazonaws.com' } as const;
    expect(candidatesFor(policy({ Effect: 'Allow', Principal: '*' }), { kind: 'fixed', principal: caller })).toEqual([
      { principal: caller },
    ]);
  });

  it.each([
    ['no condition: a principal of the key account', {}, `arn:aws:iam::${OWN}:root`, OWN, `any principal of account ${OWN}`],
    [
      'kms:CallerAccount names the account',
      { StringEquals: { 'kms:CallerAccount': '444455556666' } },
      'arn:aws:iam::444455556666:root',
      '444455556666',
      'any principal of account 444455556666',
    ],
    [
      'aws:PrincipalAccount names it too',
      { StringEquals: { 'aws:PrincipalAccount': '444455556666' } },
      'arn:aws:iam::444455556666:root',
      '444455556666',
      'any principal of account 444455556666',
    ],
    [
      'an account that is not 12 digits is ignored',
      { StringEquals: { 'kms:CallerAccount': '4444' } },
      `arn:aws:iam::${OWN}:root`,
      OWN,
      `any principal of account ${OWN}`,
    ],
    [
      'StringLike on the account is no literal',
      { StringLike: { 'kms:CallerAccount': '444455556666' } },
      `arn:aws:iam::${OWN}:root`,
      OWN,
      `any principal of account ${OWN}`,
    ],
    [
      'StringEqualsIgnoreCase is not StringEquals',
      { StringEqualsIgnoreCase: { 'kms:CallerAccount': '444455556666' } },
      `arn:aws:iam::${OWN}:root`,
      OWN,
      `any principal of account ${OWN}`,
    ],
    [
      'a set operator is no literal',
      { 'ForAnyValue:StringEquals': { 'kms:CallerAccount': '444455556666' } },
      `arn:aws:iam::${OWN}:root`,
      OWN,
      `any principal of account ${OWN}`,
    ],
    [
      'aws:PrincipalArn names the caller',
      { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:role/readers-*' } },
      'arn:aws:iam::444455556666:role/readers-',
      '444455556666',
      'principals matching arn:aws:iam::444455556666:role/readers-*',
    ],
    [
      'a wildcard account in aws:PrincipalArn is the named or key account',
      { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/r?' } },
      `arn:aws:iam::${OWN}:role/rx`,
      OWN,
      'principals matching arn:aws:iam::*:role/r?',
    ],
    [
      'ArnNotLike on aws:PrincipalArn describes no caller',
      { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:role/x' } },
      `arn:aws:iam::${OWN}:root`,
      OWN,
      `any principal of account ${OWN}`,
    ],
    [
      'a short aws:PrincipalArn keeps its text',
      { StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam' } },
      'arn:aws:iam',
      OWN,
      'principals matching arn:aws:iam',
    ],
  ])('"*" stands for the caller its conditions describe: %s', (_, condition, arn, account, description) => {
    const [candidate] = candidatesFor(policy({ Effect: 'Allow', Principal: '*', Condition: condition }), source);
    expect(candidate?.principal).toEqual({ kind: 'aws', arn, account });
    expect(candidate?.description).toBe(description);
  });

  it('a delegation is an unconditioned Allow naming accounts only; every other statement is not', () => {
    const first = (s: Record<string, unknown>) => policy(s).statements[0] as NonNullable<ReturnType<typeof policy>['statements'][0]>;
    expect(
      isDelegation(first({ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${OWN}:root`, '444455556666'] }, Action: 'kms:*' })),
    ).toBe(true);
    expect(isDelegation(first({ Effect: 'Deny', Principal: { AWS: OWN } }))).toBe(false);
    expect(isDelegation(first({ Effect: 'Allow', Principal: { AWS: OWN }, Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))).toBe(
      false,
    );
    expect(isDelegation(first({ Effect: 'Allow', Principal: { AWS: [OWN, `arn:aws:iam::${OWN}:role/r`] } }))).toBe(false);
    expect(isDelegation(first({ Effect: 'Allow', Principal: {} }))).toBe(false);
    expect(isDelegation(first({ Effect: 'Allow', NotPrincipal: { AWS: OWN } }))).toBe(false);
  });
});

describe('probes', () => {
  const spec = {
    principal: { kind: 'aws', arn: `arn:aws:iam::${OWN}:role/r`, account: OWN } as const,
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:us-east-1:${OWN}:key/k`,
    context: { 'aws:SourceAccount': OWN, 'aws:ResourceAccount': OWN, 'aws:CalledVia': [`x${OWN}`, `${OWN}`] },
    encryptionContext: { 'aws:cloudtrail:arn': `arn:aws:cloudtrail:us-east-1:${OWN}:trail/t`, 'aws:s3:arn': 'arn:aws:s3:::b/o' },
  };

  it('a request lists its encryption-context keys; one without any has no such key', () => {
    const request = buildRequest(spec);
    expect(request.context.get('kms:encryptioncontextkeys')).toEqual(['aws:cloudtrail:arn', 'aws:s3:arn']);
    expect(request.context.get('kms:encryptioncontext:aws:s3:arn')).toBe('arn:aws:s3:::b/o');
    expect(buildRequest({ ...spec, encryptionContext: {} }).context.has('kms:encryptioncontextkeys')).toBe(false);
    expect(request.unknown).toBeUndefined();
    expect(
      buildRequest({ ...spec, unknown: [{ key: 'k', keyLower: 'k', prefix: false, hint: 'h', mayBeAbsent: true }] }).unknown,
    ).toHaveLength(1);
  });

  it('the rule context wins over the standard one, whatever the case of the key', () => {
    const request = buildRequest({ ...spec, standard: { 'AWS:SourceAccount': 'standard', 'aws:SecureTransport': 'true' } });
    expect(request.context.get('aws:sourceaccount')).toBe(OWN);
    expect(request.context.get('aws:securetransport')).toBe('true');
  });

  it('without removes the keys, and an encryption-context key from the list of keys too; other keys stay', () => {
    const probe = withoutKeys(buildRequest(spec), ['KMS:EncryptionContext:aws:cloudtrail:arn', 'aws:SourceAccount']);
    expect(probe.context.has('kms:encryptioncontext:aws:cloudtrail:arn')).toBe(false);
    expect(probe.context.get('kms:encryptioncontextkeys')).toEqual(['aws:s3:arn']);
    expect(probe.context.has('aws:sourceaccount')).toBe(false);
    expect(probe.context.get('aws:resourceaccount')).toBe(OWN);
    const plain = withoutKeys(buildRequest(spec), ['aws:ResourceAccount']);
    expect(plain.context.get('kms:encryptioncontextkeys')).toEqual(['aws:cloudtrail:arn', 'aws:s3:arn']);
  });

  it('a probe context reads like the copy it stands for: the same entries in the same order, by any Map method', () => {
    const request = buildRequest(spec);
    const removed = ['kms:encryptioncontext:aws:cloudtrail:arn', 'aws:sourceaccount'];
    // What the probe stands for: a copy of the request's context with the keys deleted and the key list filtered.
    const copy = new Map([...request.context].filter(([k]) => !removed.includes(k)));
    copy.set('kms:encryptioncontextkeys', ['aws:s3:arn']);
    const probe = withoutKeys(request, removed);
    {
      // Reads before the whole context is worked out (by iterating it) and after: both ways agree.
      expect(probe.context.get('aws:calledvia')).toEqual([`x${OWN}`, `${OWN}`]);
      expect(probe.context.has('aws:sourceaccount')).toBe(false);
      expect(probe.context.has('aws:resourceaccount')).toBe(true);
      expect([...probe.context]).toEqual([...copy]);
      expect(probe.context.size).toBe(copy.size);
      expect([...probe.context.keys()]).toEqual([...copy.keys()]);
      expect([...probe.context.values()]).toEqual([...copy.values()]);
      expect([...probe.context.entries()]).toEqual([...copy.entries()]);
      const seen: string[] = [];
      probe.context.forEach((value, key, map) => {
        expect(map).toBe(probe.context);
        seen.push(`${key}=${String(value)}`);
      });
      expect(seen).toEqual([...copy].map(([k, v]) => `${k}=${String(v)}`));
      expect(probe.context.get('kms:encryptioncontextkeys')).toEqual(['aws:s3:arn']);
      expect(probe.context.has('aws:sourceaccount')).toBe(false);
    }
  });

  it('removing an encryption-context key filters only the list of keys: other lists, and names that merely end alike, stay', () => {
    const request = buildRequest({ ...spec, context: { ...spec.context, 'aws:TagKeys': ['aws:s3:arn', 'team'] } });
    const probe = withoutKeys(request, ['kms:encryptioncontext:aws:s3:arn']);
    expect(probe.context.get('kms:encryptioncontextkeys')).toEqual(['aws:cloudtrail:arn']);
    expect(probe.context.get('aws:tagkeys')).toEqual(['aws:s3:arn', 'team']);
    // A name as long as the prefix, ending in an encryption-context key, is not an encryption-context key.
    const lookalike = withoutKeys(request, [`${'x'.repeat('kms:encryptioncontext:'.length)}aws:s3:arn`]);
    expect(lookalike.context.get('kms:encryptioncontextkeys')).toEqual(['aws:cloudtrail:arn', 'aws:s3:arn']);
  });

  it("for another account swaps the account as a whole number in the caller and the context, but not the key's own account", () => {
    const probe = forAccount(buildRequest(spec), OWN, '999999999999');
    expect(probe.principal).toEqual({ kind: 'aws', arn: 'arn:aws:iam::999999999999:role/r', account: '999999999999' });
    expect(probe.context.get('aws:sourceaccount')).toBe('999999999999');
    expect(probe.context.get('aws:resourceaccount')).toBe(OWN);
    expect(probe.context.get('aws:calledvia')).toEqual(['x999999999999', '999999999999']);
    expect(probe.context.get('kms:encryptioncontext:aws:cloudtrail:arn')).toBe('arn:aws:cloudtrail:us-east-1:999999999999:trail/t');
    const service = forAccount(
      makeRequest({ kind: 'service', name: 'cloudtrail.amazonaws.com' }, 'kms:Decrypt', 'k', {}),
      OWN,
      '999999999999',
    );
    expect(service.principal).toEqual({ kind: 'service', name: 'cloudtrail.amazonaws.com' });
    expect(forAccount(makeRequest(spec.principal, 'a', 'k', { n: `1${OWN}1` }), OWN, '999999999999').context.get('n')).toBe(`1${OWN}1`);
  });

  it('describes probes and their requirements in words', () => {
    expect(describeProbe({ name: 'p', without: ['a', 'b'] })).toBe('without a, b');
    expect(describeProbe({ name: 'p', otherAccount: OWN })).toBe('for another account');
    expect(describeProbe({ name: 'p', otherAccount: OWN }, '999999999999')).toBe(
      'for account 999999999999, which the policy does not name',
    );
    expect(describeProbe({ name: 'p', description: 'elsewhere', otherAccount: OWN }, '999999999999')).toBe(
      'elsewhere (account 999999999999)',
    );
    expect(describeProbe({ name: 'p', description: 'elsewhere', otherAccount: OWN })).toBe('elsewhere');
    expect(describeRequirement({ name: 'p', without: ['a'] })).toBe('without also allowing it without a');
    expect(describeRequirement({ name: 'p', without: ['a'], requirement: 'only with a' })).toBe('only with a');
  });
});

describe('other accounts to probe', () => {
  const accounts = (texts: string[]) =>
    otherAccounts(
      parsePolicy({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: texts.filter((t) => t.startsWith('arn:aws:iam')) },
            Action: '*',
            Resource: '*',
            Condition: { StringLike: { k: texts } },
          },
        ],
      }),
      OWN,
    );

  it('a fallback that is neither the own account nor one the policy names', () => {
    expect(accounts([])).toEqual(['999999999999']);
    expect(accounts(['999999999999'])).toEqual(['000000000000']);
    expect(accounts(['999999999999', '000000000000'])).toEqual(['123412341234']);
  });

  it('an account named in a principal ARN is named too', () => {
    expect(accounts(['arn:aws:iam::999999999999:root'])).toEqual(['000000000000']);
  });

  it('a wildcard account in an ARN or an S3 object path is instantiated; a wildcard Region or a non-number is not', () => {
    expect(accounts(['arn:aws:s3:::bucket/AWSLogs/4444*/CloudTrail/*'])).toEqual(['444400000000', '999999999999']);
    expect(accounts(['arn:aws:cloudtrail:us-*:111122223333:trail/*'])).toEqual(['999999999999']);
    expect(accounts(['arn:aws:cloudtrail:*:abc*:trail/*'])).toEqual(['999999999999']);
    expect(accounts(['1*'])).toEqual(['100000000000', '999999999999']);
    expect(accounts(['*'])).toEqual(['999999999999']);
    expect(accounts(['arn:short'])).toEqual(['999999999999']);
  });

  it('a pattern longer than an account id has no instance', () => {
    expect(accounts(['1234567890123*'])).toEqual(['999999999999']);
  });
});
