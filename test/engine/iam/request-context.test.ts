import { describe, expect, it } from 'vitest';
import type { RequestFacts } from '../../../engine/iam/context-catalogue.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import { asKeyFacts, callerKind, standardFor, uncatalogued } from '../../../engine/iam/request-context.js';

const KEY = {
  arn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  region: 'us-east-1',
  account: '111122223333',
  metadata: { KeySpec: 'SYMMETRIC_DEFAULT' },
  tags: { t: 'v' },
};
const facts = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  caller: 'iam',
  principal: { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/r', account: '111122223333' },
  action: 'kms:Decrypt',
  collectedAt: '2026-11-30T12:00:00Z',
  key: KEY,
  viaService: undefined,
  sourceAccount: undefined,
  organisation: () => ({ state: 'unknown' }),
  ...overrides,
});

describe('the standard context a request starts from', () => {
  it("the rule's keys are known (their origin is the rule) and never unrecorded; prefixes stay", () => {
    const standard = standardFor(facts(), new Set(['aws:principalorgid', 'aws:principaltag/team']), true);
    expect(standard.origins.get('aws:principalorgid')).toBe('the rule');
    expect(standard.unknown.map((u) => u.key)).not.toContain('aws:PrincipalOrgID');
    expect(standard.unknown.map((u) => u.key)).toContain('aws:PrincipalTag/');
    expect(standard.values['aws:SecureTransport']).toBe('true');
    expect(standard.values['aws:ResourceTag/t']).toBe('v');
  });

  it('is built once for the same facts in one run, and anew for other facts or another run', () => {
    const organisation = () => ({ state: 'unknown' }) as const;
    const a = standardFor(facts({ organisation }), new Set(), false);
    expect(standardFor(facts({ organisation }), new Set(), false)).toBe(a);
    expect(standardFor(facts({ organisation, action: 'kms:DescribeKey' }), new Set(), false)).not.toBe(a);
    expect(standardFor(facts({ organisation, collectedAt: undefined }), new Set(), false).unknown.map((u) => u.key)).toContain(
      'aws:CurrentTime',
    );
    expect(standardFor(facts({ organisation }), new Set(['aws:x']), false)).not.toBe(a);
    expect(standardFor(facts({ organisation }), new Set(), true)).not.toBe(a);
    expect(standardFor(facts(), new Set(), false)).not.toBe(a);
    expect(a.origins.size).toBe(0);
    expect(standardFor(facts({ organisation }), new Set(), true).origins.size).toBeGreaterThan(0);
  });

  it('the caller kind: a service, an IAM principal, or one whose request a service forwards', () => {
    expect(callerKind({ kind: 'service', name: 's' }, 'x')).toBe('service');
    expect(callerKind({ kind: 'aws', arn: 'a', account: '1' }, undefined)).toBe('iam');
    expect(callerKind({ kind: 'aws', arn: 'a', account: '1' }, 's3.us-east-1.amazonaws.com')).toBe('iam-via-service');
  });

  it('the key facts come from a kms-key view; anything else names no key', () => {
    expect(asKeyFacts(KEY)).toEqual(KEY);
    expect(asKeyFacts({ arn: 'a', region: 1, account: null, metadata: 'x', tags: null })).toEqual({
      arn: 'a',
      region: '',
      account: '',
      metadata: null,
      tags: null,
    });
    expect(asKeyFacts({ arn: 'a', metadata: null, tags: 'x' })).toEqual({ arn: 'a', region: '', account: '', metadata: null, tags: null });
    expect(asKeyFacts({ region: 'r' })).toBeUndefined();
    expect(asKeyFacts('arn:aws:kms:us-east-1:1:key/k')).toBeUndefined();
    expect(asKeyFacts(null)).toBeUndefined();
  });

  it('global keys neither the catalogue nor the rule knows are unrecorded, once each; others are not', () => {
    const policy = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:Future': 'a', 'AWS:FUTURE': 'b', 'aws:Given': 'c', 'aws:SecureTransport': 'true', 's3:x': 'y' },
          },
        },
      ],
    });
    const found = uncatalogued(policy, (k) => k === 'aws:given');
    expect(found).toEqual([
      {
        key: 'aws:Future',
        keyLower: 'aws:future',
        prefix: false,
        hint: "trailguard's catalogue of request context keys (engine/iam/context-keys.json) does not describe aws:Future",
        mayBeAbsent: true,
      },
    ]);
  });
});
