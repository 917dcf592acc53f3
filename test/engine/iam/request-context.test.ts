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

  it('facts that differ only in the service calling, or only in where one fact ends, are not shared', () => {
    const organisation = () => ({ state: 'unknown' }) as const;
    const service = (name: string) => facts({ organisation, caller: 'service', principal: { kind: 'service', name } });
    expect(standardFor(service('cloudtrail.amazonaws.com'), new Set(), false).values['aws:PrincipalServiceName']).toBe(
      'cloudtrail.amazonaws.com',
    );
    expect(standardFor(service('logs.amazonaws.com'), new Set(), false).values['aws:PrincipalServiceName']).toBe('logs.amazonaws.com');
    // Run together, "s3.amazonaws.com" + "1" and "s3.amazonaws.com1" + nothing would read the same.
    const split = standardFor(
      facts({ organisation, caller: 'iam-via-service', viaService: 's3.amazonaws.com', sourceAccount: '1' }),
      new Set(),
      false,
    );
    const joined = standardFor(facts({ organisation, caller: 'iam-via-service', viaService: 's3.amazonaws.com1' }), new Set(), false);
    expect(joined).not.toBe(split);
    expect(joined.values['kms:ViaService']).toBe('s3.amazonaws.com1');
  });

  it('past 50,000 sets of facts in a run the oldest are dropped, and recent ones are still shared', () => {
    const organisation = () => ({ state: 'unknown' }) as const;
    const at = (i: number) => facts({ organisation, collectedAt: `2026-11-30T12:00:${String(i).padStart(6, '0')}Z` });
    const first = standardFor(at(0), new Set(), false);
    const second = standardFor(at(1), new Set(), false);
    expect(standardFor(at(0), new Set(), false)).toBe(first);
    expect(standardFor(at(1), new Set(), false)).toBe(second);
    for (let i = 2; i <= 50_000; i++) standardFor(at(i), new Set(), false);
    const latest = standardFor(at(50_000), new Set(), false);
    expect(standardFor(at(50_000), new Set(), false)).toBe(latest);
    expect(standardFor(at(0), new Set(), false)).not.toBe(first);
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
