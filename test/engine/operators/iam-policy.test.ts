import { describe, expect, it } from 'vitest';
import { iamPolicy, OperatorOptionsError } from '../../../engine/operators/iam-policy.js';
import type { CompileContext, OperatorContext } from '../../../engine/operators/types.js';
import { compileTemplate, isTemplate } from '../../../engine/template/template.js';

const context: CompileContext = {
  template: (text) => compileTemplate(text),
  value: (option) => (scope) => (typeof option === 'string' && isTemplate(option) ? compileTemplate(option).value(scope) : option),
};
const ACCOUNT = '111122223333';
const KEY = {
  arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
  region: 'us-east-1',
  account: ACCOUNT,
  metadata: { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'AWS_KMS', MultiRegion: false },
  tags: { team: 'audit' },
};
const scope = () => ({ key: KEY, snapshot: { collectedAt: '2026-11-30T12:00:00Z', account: { id: ACCOUNT } } });

/** The run knows no organisation unless a test says otherwise. */
const UNRECORDED: OperatorContext = { organisation: () => ({ state: 'unknown' }) };

function check(options: Record<string, unknown>, policy: unknown, run: Partial<OperatorContext> = {}) {
  return iamPolicy.compile(options, context)(policy, scope(), { ...UNRECORDED, ...run });
}

const allow = (statement: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Resource: '*', Action: 'kms:Decrypt', ...statement }],
});
const reader = { principal: { aws: `arn:aws:iam::${ACCOUNT}:role/reader` }, action: 'kms:Decrypt', resource: '{{key.arn}}' };

describe('the iam-policy operator', () => {
  it('a missing policy is unknown; a value that is no policy document fails, saying what it is', () => {
    expect(check({ request: reader }, null)).toEqual({
      status: 'unknown',
      reason: 'has no policy document to evaluate (it was not collected)',
    });
    expect(check({ request: reader }, undefined)).toMatchObject({ status: 'unknown' });
    expect(check({ request: reader }, 'text')).toEqual({ status: 'fail', reason: 'is "text", not a policy document' });
    expect(check({ request: reader }, [1])).toEqual({ status: 'fail', reason: 'is [1], not a policy document' });
    expect(check({ request: reader }, allow({ Principal: '*' }))).toMatchObject({ status: 'pass' });
  });

  it('an account id as the caller is that account; an ARN is that identity', () => {
    const byAccount = check({ request: { ...reader, principal: { aws: ACCOUNT } } }, allow({ Principal: { AWS: ACCOUNT } }));
    expect(byAccount).toMatchObject({ status: 'pass', reason: `allows kms:Decrypt for arn:aws:iam::${ACCOUNT}:root by Statement[0]` });
    const byArn = check({ request: reader }, allow({ Principal: { AWS: ACCOUNT } }));
    expect(byArn).toMatchObject({ status: 'fail' });
    expect(check({ request: reader }, allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` } }))).toMatchObject({
      status: 'pass',
    });
  });

  it("the caller's account comes from its ARN: aws:PrincipalAccount and kms:CallerAccount", () => {
    const policy = allow({
      Principal: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT, 'kms:CallerAccount': ACCOUNT } },
    });
    expect(check({ request: reader }, policy)).toMatchObject({ status: 'pass' });
    expect(check({ request: { ...reader, principal: { aws: 'arn:aws:iam::444455556666:role/reader' } } }, policy)).toMatchObject({
      status: 'fail',
    });
  });

  it('an otherAccount probe that is not an account id is unknown, naming it', () => {
    const options = {
      request: { principal: { service: 'cloudtrail.amazonaws.com' }, action: 'kms:Decrypt', resource: 'k' },
      confined: { probes: [{ name: 'other', otherAccount: '{{snapshot.account.name}}' }] },
    };
    expect(check(options, allow({ Principal: '*' }))).toEqual({
      status: 'unknown',
      reason: 'cannot probe another account: "" is not an account id',
    });
  });

  it("key: the key's metadata, tags and Region make the standard context; without it they are unrecorded", () => {
    const policy = allow({
      Principal: '*',
      Condition: {
        StringEquals: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT', 'aws:ResourceTag/team': 'audit', 'aws:RequestedRegion': 'us-east-1' },
      },
    });
    expect(check({ request: { ...reader, key: '{{key}}' } }, policy)).toMatchObject({ status: 'pass' });
    const without = check({ request: reader }, policy);
    expect(without.status).toBe('unknown');
    expect(without.reason).toContain('the rule names no key for the request');
  });

  it('viaService: the request is forwarded (kms:ViaService, aws:ViaAWSService true); without it the caller calls directly', () => {
    const policy = allow({
      Principal: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, Bool: { 'aws:ViaAWSService': 'true' } },
    });
    expect(check({ request: { ...reader, viaService: 's3.{{key.region}}.amazonaws.com' } }, policy)).toMatchObject({ status: 'pass' });
    expect(check({ request: { ...reader, viaService: '' } }, policy)).toMatchObject({ status: 'fail' });
    expect(check({ request: reader }, policy)).toMatchObject({ status: 'fail' });
  });

  it('the rule\'s context wins over the standard context, and keeps "__proto__" as data', () => {
    const policy = allow({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringEquals: { __proto__: 'x' } } });
    expect(check({ request: { ...reader, context: { 'aws:SecureTransport': false, ['__proto__']: 'x' } } }, policy)).toMatchObject({
      status: 'pass',
    });
    expect(check({ request: reader }, policy)).toMatchObject({ status: 'fail' });
  });

  it('a list context value stays a list; null becomes the empty string', () => {
    const policy = allow({
      Principal: '*',
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] }, StringEquals: { 'aws:x': '' } },
    });
    expect(check({ request: { ...reader, context: { 'aws:TagKeys': ['a', 'b'], 'aws:x': null } } }, policy)).toMatchObject({
      status: 'pass',
    });
    expect(check({ request: { ...reader, context: { 'aws:TagKeys': ['a', 'c'], 'aws:x': null } } }, policy)).toMatchObject({
      status: 'fail',
    });
  });

  it('a global key neither the rule nor the catalogue knows is unrecorded, not absent', () => {
    const policy = allow({ Principal: '*', Condition: { StringEquals: { 'aws:SomeFutureKey': 'yes' } } });
    const result = check({ request: reader }, policy);
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain(
      "aws:SomeFutureKey: trailguard's catalogue of request context keys (engine/iam/context-keys.json) does not describe aws:SomeFutureKey",
    );
    expect(check({ request: { ...reader, context: { 'aws:SomeFutureKey': 'yes' } } }, policy)).toMatchObject({ status: 'pass' });
    // A service-specific key the catalogue does not list is absent: no service puts s3: keys in a KMS request.
    expect(check({ request: reader }, allow({ Principal: '*', Condition: { StringEquals: { 's3:prefix': 'x' } } }))).toMatchObject({
      status: 'fail',
    });
  });

  it('the organisation comes from the run: recorded, it decides aws:PrincipalOrgID', () => {
    const policy = allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } });
    const member = () => ({ state: 'member' as const, id: 'o-a1b2c3d4e5', source: 'test' });
    expect(check({ request: reader }, policy, { organisation: member })).toMatchObject({ status: 'pass' });
    expect(check({ request: reader }, policy, { organisation: () => ({ state: 'none', source: 'test' }) })).toMatchObject({
      status: 'fail',
    });
    expect(check({ request: reader }, policy)).toMatchObject({ status: 'unknown' });
  });

  it('scope granting-statement: the statement that names the caller must be confined; policy: no statement may leak', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Scoped',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` },
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { Null: { 'kms:EncryptionContext:c': 'false' } },
        },
        { Sid: 'Broad', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/reader` }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    };
    const options = (scopeKind: string) => ({
      request: {
        principal: { namedByPolicy: true, account: ACCOUNT },
        action: 'kms:Decrypt',
        resource: 'k',
        encryptionContext: { c: 'v' },
      },
      confined: { scope: scopeKind, probes: [{ name: 'no-c', without: ['kms:EncryptionContext:c'] }] },
    });
    expect(check(options('granting-statement'), policy)).toMatchObject({ status: 'pass' });
    expect(check(options('policy'), policy)).toMatchObject({ status: 'fail' });
  });

  it('a trace function given by the run receives every request evaluated, with where each value came from', () => {
    const traces: { label: string; origins?: Record<string, string> }[] = [];
    check({ request: { ...reader, key: '{{key}}' } }, allow({ Principal: '*' }), {
      trace: (t) => traces.push(t as unknown as { label: string }),
    });
    expect(traces.map((t) => t.label)).toEqual(['request']);
    expect(traces[0]?.origins?.['aws:securetransport']).toContain('always true for a direct IAM principal request');
  });

  it('rejects options the schema cannot rule out', () => {
    const compile = (options: Record<string, unknown>) => () => iamPolicy.compile(options, context);
    expect(compile({ request: { ...reader, principal: {} } })).toThrow(
      new OperatorOptionsError('request.principal needs exactly one of service, aws or namedByPolicy'),
    );
    expect(compile({ request: { ...reader, principal: { namedByPolicy: true } } })).toThrow(
      'request.principal.namedByPolicy needs account: the account a "*" principal stands for',
    );
    expect(compile({ request: reader, confined: { probes: [{ name: 'p' }] } })).toThrow(
      'probe p needs exactly one of without or otherAccount',
    );
    expect(compile({ request: reader, confined: { probes: [{ name: 'p', without: ['k'], otherAccount: '1' }] } })).toThrow(
      'probe p needs exactly one of without or otherAccount',
    );
    expect(compile({ request: reader, expect: 'denied', confined: { probes: [{ name: 'p', without: ['k'] }] } })).toThrow(
      'confined probes only apply with expect: allowed',
    );
    expect(compile({ request: { ...reader, principal: { namedByPolicy: true, account: '1' } }, expect: 'not-allowed' })).toThrow(
      'request.principal.namedByPolicy only applies with expect: allowed: to ask that no one else may make the request, use op: iam-grantees (who the policy grants it to, with only, none or noWildcard)',
    );
    expect(compile({ request: { ...reader, principal: { namedByPolicy: true, account: '1' } } })).not.toThrow();
  });
});
