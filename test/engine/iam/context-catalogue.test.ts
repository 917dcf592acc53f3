import { describe, expect, it } from 'vitest';
import {
  type CallerKind,
  catalogueEntries,
  fact,
  isCatalogued,
  type RequestFacts,
  sourceUrl,
  standardContext,
} from '../../../engine/iam/context-catalogue.js';
import type { RequestPrincipal } from '../../../engine/iam/types.js';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/k';
const SERVICE: RequestPrincipal = { kind: 'service', name: 'cloudtrail.amazonaws.com' };
const READER: RequestPrincipal = { kind: 'aws', arn: 'arn:aws:iam::111122223333:role/reader', account: '111122223333' };

function facts(caller: CallerKind, overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    caller,
    principal: caller === 'service' ? SERVICE : READER,
    action: 'kms:Decrypt',
    collectedAt: '2026-11-30T12:00:00Z',
    key: {
      arn: KEY,
      region: 'eu-west-1',
      account: '111122223333',
      metadata: { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'AWS_KMS', MultiRegion: false },
      tags: { team: 'audit' },
    },
    viaService: caller === 'iam-via-service' ? 's3.eu-west-1.amazonaws.com' : undefined,
    sourceAccount: caller === 'service' ? '111122223333' : undefined,
    organisation: () => ({ state: 'member', id: 'o-a1b2c3d4e5', source: 'test' }),
    ...overrides,
  };
}

const value = (caller: CallerKind, key: string, overrides: Partial<RequestFacts> = {}) =>
  standardContext(facts(caller, overrides)).values.get(key);
const unknown = (caller: CallerKind, key: string, overrides: Partial<RequestFacts> = {}) =>
  standardContext(facts(caller, overrides)).unknown.find((u) => u.key === key);

describe('the request context catalogue (engine/iam/context-keys.json)', () => {
  it('cites an AWS documentation page for every key, and says for every caller kind what AWS puts in the request', () => {
    for (const entry of catalogueEntries()) {
      expect(sourceUrl(entry), entry.key).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/.+\.html#.+/);
      expect(Object.keys(entry.callers).sort(), entry.key).toEqual(['iam', 'iam-via-service', 'service']);
      expect(entry.availability.length, entry.key).toBeGreaterThan(5);
    }
  });

  it('resolves every value it names for every caller kind without error', () => {
    for (const caller of ['service', 'iam', 'iam-via-service'] as const) {
      const context = standardContext(facts(caller));
      for (const entry of catalogueEntries()) {
        const lower = entry.key.toLowerCase();
        const given = entry.callers[caller];
        if (given !== 'absent' && !('rule' in given)) expect(context.origins.has(lower), `${caller} ${entry.key}`).toBe(true);
      }
    }
  });

  it.each([
    ['aws:SecureTransport', 'iam', 'true'],
    ['aws:CurrentTime', 'service', '2026-11-30T12:00:00.000Z'],
    ['aws:EpochTime', 'iam', '1796040000'],
    ['aws:RequestedRegion', 'service', 'eu-west-1'],
    ['aws:ResourceAccount', 'iam', '111122223333'],
    ['aws:ViaAWSService', 'service', 'false'],
    ['aws:ViaAWSService', 'iam', 'false'],
    ['aws:ViaAWSService', 'iam-via-service', 'true'],
    ['aws:PrincipalIsAWSService', 'service', 'true'],
    ['aws:PrincipalIsAWSService', 'iam-via-service', 'false'],
    ['aws:PrincipalServiceName', 'service', 'cloudtrail.amazonaws.com'],
    ['aws:PrincipalAccount', 'iam', '111122223333'],
    ['aws:PrincipalArn', 'iam-via-service', 'arn:aws:iam::111122223333:role/reader'],
    ['aws:PrincipalType', 'iam', 'AssumedRole'],
    ['aws:PrincipalOrgID', 'iam', 'o-a1b2c3d4e5'],
    ['aws:SourceOrgID', 'service', 'o-a1b2c3d4e5'],
    ['aws:ResourceOrgID', 'iam', 'o-a1b2c3d4e5'],
    ['aws:ResourceTag/team', 'service', 'audit'],
    ['kms:CallerAccount', 'iam-via-service', '111122223333'],
    ['kms:ViaService', 'iam-via-service', 's3.eu-west-1.amazonaws.com'],
    ['kms:KeySpec', 'service', 'SYMMETRIC_DEFAULT'],
    ['kms:KeyUsage', 'iam', 'ENCRYPT_DECRYPT'],
    ['kms:KeyOrigin', 'iam', 'AWS_KMS'],
    ['kms:MultiRegion', 'service', 'false'],
    ['kms:EncryptionAlgorithm', 'iam', 'SYMMETRIC_DEFAULT'],
  ] as const)('%s for a %s caller is %s', (key, caller, expected) => {
    expect(value(caller, key)).toBe(expected);
  });

  it.each([
    ['aws:PrincipalServiceName', 'iam'],
    ['aws:PrincipalAccount', 'service'],
    ['aws:PrincipalOrgID', 'service'],
    ['aws:SourceArn', 'iam'],
    ['kms:ViaService', 'iam'],
    ['aws:CalledVia', 'iam-via-service'],
    ['kms:MultiRegionKeyType', 'service'],
  ] as const)('%s is absent from a %s request (and not unknown)', (key, caller) => {
    expect(value(caller, key)).toBeUndefined();
    expect(unknown(caller, key)).toBeUndefined();
  });

  it('values nobody recorded are unknown, saying what would decide them; recorded ones are not', () => {
    const unrecorded = { organisation: () => ({ state: 'unknown' }) as const };
    expect(unknown('iam', 'aws:PrincipalOrgID', unrecorded)).toMatchObject({
      mayBeAbsent: true,
      hint: expect.stringContaining('organizations:DescribeOrganization'),
    });
    expect(unknown('iam', 'aws:PrincipalOrgID')).toBeUndefined();
    expect(
      unknown('iam', 'aws:PrincipalOrgID', {
        organisation: () => ({ state: 'unknown', conflict: 'a.json records o-a and b.json records o-b' }),
      })?.hint,
    ).toBe("which organisation the reader's account 111122223333 belongs to: a.json records o-a and b.json records o-b");
    expect(unknown('iam', 'aws:PrincipalOrgPaths', { organisation: () => ({ state: 'unknown', conflict: 'x' }) })?.hint).toBe(
      "the organisation path of the reader's account 111122223333: x",
    );

    expect(unknown('iam', 'aws:PrincipalOrgID', { organisation: () => ({ state: 'none', source: 'x' }) })).toBeUndefined();
    expect(value('iam', 'aws:PrincipalOrgID', { organisation: () => ({ state: 'none', source: 'x' }) })).toBeUndefined();
    expect(unknown('service', 'aws:CurrentTime', { collectedAt: undefined })?.hint).toContain('no collectedAt');
    expect(
      unknown('service', 'aws:ResourceTag/', { key: { ...(facts('service').key as NonNullable<RequestFacts['key']>), tags: null } }),
    ).toMatchObject({ prefix: true });
    expect(unknown('service', 'aws:ResourceTag/')).toBeUndefined();
    expect(unknown('iam', 'aws:PrincipalTag/')).toMatchObject({ prefix: true, mayBeAbsent: true });
    expect(unknown('service', 'aws:SourceIp')).toMatchObject({ mayBeAbsent: false });
    expect(
      unknown('iam', 'aws:PrincipalType', { principal: { kind: 'aws', arn: 'arn:aws:iam::111122223333:root', account: '111122223333' } }),
    ).toBeDefined();
    expect(
      unknown('iam', 'kms:KeySpec', { key: { ...(facts('iam').key as NonNullable<RequestFacts['key']>), metadata: {} } })?.hint,
    ).toContain('does not record KeySpec');
  });

  it('isCatalogued knows exact keys and prefixes, case-insensitively, and nothing else', () => {
    expect(isCatalogued('aws:securetransport')).toBe(true);
    expect(isCatalogued('aws:resourcetag/anything')).toBe(true);
    expect(isCatalogued('kms:encryptioncontext:aws:cloudtrail:arn')).toBe(true);
    expect(isCatalogued('aws:nosuchkey')).toBe(false);
  });
});

describe('the standard context in full (a reviewed golden file: every value, origin and unknown, per caller kind)', () => {
  it('matches test/engine/iam/context.golden.json', async () => {
    const nothingRecorded: Partial<RequestFacts> = {
      collectedAt: undefined,
      key: { arn: KEY, region: 'eu-west-1', account: '111122223333', metadata: null, tags: null },
      organisation: () => ({ state: 'unknown' }),
    };
    const cases: Record<string, RequestFacts> = {};
    for (const caller of ['service', 'iam', 'iam-via-service'] as const) {
      cases[`${caller}, everything recorded`] = facts(caller);
      cases[`${caller}, nothing recorded`] = facts(caller, nothingRecorded);
      cases[`${caller}, no key named`] = facts(caller, { key: undefined, organisation: () => ({ state: 'none', source: 'test' }) });
    }
    cases['root caller, multi-Region replica, in no organisation'] = facts('iam', {
      principal: { kind: 'aws', arn: 'arn:aws:iam::111122223333:root', account: '111122223333' },
      action: 'kms:DescribeKey',
      key: {
        arn: KEY,
        region: 'eu-west-1',
        account: '111122223333',
        metadata: { MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA' } },
        tags: {},
      },
      organisation: () => ({ state: 'none', source: 'test' }),
    });
    cases['user caller through a service that sets aws:CalledVia'] = facts('iam-via-service', {
      principal: { kind: 'aws', arn: 'arn:aws:iam::111122223333:user/u', account: '111122223333' },
      viaService: 'athena.us-east-1.amazonaws.com',
    });
    const all = Object.fromEntries(
      Object.entries(cases).map(([name, f]) => {
        const context = standardContext(f);
        return [
          name,
          { values: Object.fromEntries(context.values), origins: Object.fromEntries(context.origins), unknown: context.unknown },
        ];
      }),
    );
    await expect(`${JSON.stringify(all, null, 2)}\n`).toMatchFileSnapshot('context.golden.json');
    expect(standardContext(facts('iam'), false).origins.size).toBe(0);
  });
});

describe('every fact, for every kind of caller (a reviewed golden file)', () => {
  it('matches test/engine/iam/facts.golden.json', async () => {
    const names = [
      'collection-time',
      'collection-epoch',
      'key-region',
      'key-account',
      'service-name',
      'service-names-list',
      'principal-account',
      'principal-arn',
      'principal-type',
      'principal-org-id',
      'principal-org-paths',
      'source-org-id',
      'source-org-paths',
      'key-org-id',
      'key-org-paths',
      'key-tags',
      'key-multi-region-type',
      'encryption-algorithm',
      'via-service',
      'called-via',
      'called-via-first',
      'called-via-last',
      'key-metadata:KeySpec',
    ];
    const member = () => ({ state: 'member', id: 'o-a1b2c3d4e5', source: 'test' }) as const;
    const situations: Record<string, Partial<RequestFacts>> = {
      'service caller': { caller: 'service', principal: SERVICE, sourceAccount: '111122223333', organisation: member },
      'service caller, no source account, organisation unknown': {
        caller: 'service',
        principal: SERVICE,
        sourceAccount: undefined,
        organisation: () => ({ state: 'unknown' }),
      },
      'role caller through DynamoDB': { viaService: 'dynamodb.eu-west-1.amazonaws.com', organisation: member },
      'user caller, DescribeKey, in no organisation': {
        principal: { kind: 'aws', arn: 'arn:aws:iam::111122223333:user/u', account: '111122223333' },
        action: 'kms:DescribeKey',
        organisation: () => ({ state: 'none', source: 'test' }),
      },
      'assumed-role caller, no key': {
        principal: { kind: 'aws', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', account: '111122223333' },
        key: undefined,
        viaService: 's3.eu-west-1.amazonaws.com',
        collectedAt: 'not a date',
      },
      'federated caller, key without metadata': {
        principal: { kind: 'aws', arn: 'arn:aws:sts::111122223333:federated-user/f', account: '111122223333' },
        key: { arn: KEY, region: 'eu-west-1', account: '111122223333', metadata: null, tags: null },
      },
    };
    const all = Object.fromEntries(
      Object.entries(situations).map(([name, overrides]) => [
        name,
        Object.fromEntries(names.map((n) => [n, fact(n, facts('iam', overrides))])),
      ]),
    );
    await expect(`${JSON.stringify(all, null, 2)}\n`).toMatchFileSnapshot('facts.golden.json');
    expect(() => fact('no-such-fact', facts('iam'))).toThrow('context-keys.json names an unknown fact "no-such-fact"');
  });
});
