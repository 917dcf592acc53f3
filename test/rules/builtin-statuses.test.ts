import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  byRule,
  ENABLED_KEY_METADATA,
  KEY_ARN,
  OTHER_ACCOUNT,
  runBuiltIn,
  snapshot,
  TRAIL_ARN,
  trail,
} from '../helpers/engine.js';

const consolePolicy = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'corpus', 'key-policies', 'console-created.json'), 'utf8')) as { policy: unknown }
).policy;
const POLICY_RULES = ['cloudtrail-key-policy-describe-key', 'cloudtrail-key-policy-generate-data-key', 'cloudtrail-key-policy-decrypt'];

const goodKey = { metadata: ENABLED_KEY_METADATA, policy: consolePolicy, error: null };

async function verdicts(trails: unknown[], keys: Record<string, unknown>) {
  return byRule(await runBuiltIn([snapshot({ trails: trails as never, keys: keys as never })]));
}

describe('built-in pack: statuses other than pass and fail', () => {
  it('a trail without KmsKeyId fails SSE-KMS and is skipped by the key rules', async () => {
    const f = await verdicts([trail({ KmsKeyId: undefined })], {});
    expect(f['cloudtrail-sse-kms']?.status).toBe('fail');
    expect(f['cloudtrail-sse-kms']?.message).toContain('has no KmsKeyId');
    for (const rule of [...POLICY_RULES, 'cloudtrail-kms-key-state']) expect(f[rule]?.status, rule).toBe('skip');
  });

  it('an empty KmsKeyId counts as none', async () => {
    const f = await verdicts([trail({ KmsKeyId: '' })], {});
    expect(f['cloudtrail-sse-kms']?.status).toBe('fail');
  });

  it('a key in no snapshot makes every key rule unknown, never pass or fail', async () => {
    const f = await verdicts([trail()], {});
    expect(f['cloudtrail-sse-kms']?.status).toBe('pass');
    for (const rule of [...POLICY_RULES, 'cloudtrail-kms-key-state']) {
      expect(f[rule]?.status, rule).toBe('unknown');
      expect(f[rule]?.message, rule).toContain(`key ${KEY_ARN} is not in any snapshot given`);
    }
  });

  it('an unreadable key policy makes the policy rules unknown and says why', async () => {
    const error = { code: 'AccessDeniedException', message: 'not authorized to perform kms:GetKeyPolicy', operation: 'GetKeyPolicy' };
    const f = await verdicts([trail()], { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy: null, error } });
    for (const rule of POLICY_RULES) {
      expect(f[rule]?.status, rule).toBe('unknown');
      expect(f[rule]?.message).toContain('GetKeyPolicy failed: AccessDeniedException');
    }
    expect(f['cloudtrail-kms-key-state']?.status).toBe('pass');
  });

  it("a bare key id is the key of that id in the trail's Region and account", async () => {
    const f = await verdicts([trail({ KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })], { [KEY_ARN]: goodKey });
    for (const rule of POLICY_RULES) expect(f[rule]?.status, rule).toBe('pass');
    expect(f['cloudtrail-key-policy-describe-key']?.evidence.lookups).toEqual({ key: KEY_ARN });
  });

  it('an alias resolves when a snapshot records it, and is unknown otherwise', async () => {
    const withAlias = await verdicts([trail({ KmsKeyId: 'alias/cloudtrail' })], {
      [KEY_ARN]: { ...goodKey, aliases: ['alias/cloudtrail'] },
    });
    for (const rule of POLICY_RULES) expect(withAlias[rule]?.status, rule).toBe('pass');
    const aliasArn = await verdicts([trail({ KmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/cloudtrail` })], {
      [KEY_ARN]: { ...goodKey, aliases: ['alias/cloudtrail'] },
    });
    expect(aliasArn['cloudtrail-key-policy-decrypt']?.status).toBe('pass');
    const without = await verdicts([trail({ KmsKeyId: 'alias/cloudtrail' })], { [KEY_ARN]: goodKey });
    expect(without['cloudtrail-key-policy-describe-key']?.status).toBe('unknown');
    expect(without['cloudtrail-key-policy-describe-key']?.message).toContain('no snapshot records which key it names');
  });

  it('each trail is judged for itself: a key pinned to one trail fails the other', async () => {
    const pinned = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Encrypt',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
          Condition: { StringEquals: { 'kms:EncryptionContext:aws:cloudtrail:arn': TRAIL_ARN } },
        },
      ],
    };
    const second = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/second`;
    const findings = await runBuiltIn([
      snapshot({
        trails: [trail(), trail({ Name: 'second', TrailARN: second })] as never,
        keys: { [KEY_ARN]: { ...goodKey, policy: pinned } },
      }),
    ]);
    expect(byRule(findings)['cloudtrail-key-policy-generate-data-key']?.status).toBe('pass');
    expect(byRule(findings, second)['cloudtrail-key-policy-generate-data-key']?.status).toBe('fail');
  });

  it('a trail listed twice (shadow copies) is evaluated once', async () => {
    const findings = await runBuiltIn([
      snapshot({ trails: [trail(), trail({ HomeRegion: 'us-east-1' })] as never, keys: { [KEY_ARN]: goodKey } }),
    ]);
    expect(findings.filter((f) => f.ruleId === 'cloudtrail-sse-kms')).toHaveLength(1);
  });
});

describe('built-in pack: key state', () => {
  it.each([
    ['disabled', { KeyState: 'Disabled', Enabled: false }, 'is Disabled, not Enabled'],
    ['pending deletion', { KeyState: 'PendingDeletion', Enabled: false }, 'is PendingDeletion, not Enabled'],
    ['AWS managed', { KeyManager: 'AWS' }, 'managed by AWS, not a customer managed key'],
    ['asymmetric', { KeySpec: 'RSA_2048' }, 'key spec RSA_2048'],
  ])('a %s key fails', async (_name, change, text) => {
    const f = await verdicts([trail()], { [KEY_ARN]: { ...goodKey, metadata: { ...ENABLED_KEY_METADATA, ...change } } });
    expect(f['cloudtrail-kms-key-state']?.status).toBe('fail');
    expect(f['cloudtrail-kms-key-state']?.message).toContain(text);
  });

  it('a deleted key (DescribeKey NotFoundException) fails', async () => {
    const error = { code: 'NotFoundException', message: `Key '${KEY_ARN}' does not exist`, operation: 'DescribeKey' };
    const f = await verdicts([trail()], { [KEY_ARN]: { metadata: null, policy: null, error } });
    expect(f['cloudtrail-kms-key-state']?.status).toBe('fail');
    expect(f['cloudtrail-kms-key-state']?.message).toContain('does not exist');
    expect(f['cloudtrail-key-policy-describe-key']?.status).toBe('unknown');
  });

  it('unreadable metadata is unknown', async () => {
    const error = { code: 'AccessDeniedException', message: 'denied', operation: 'DescribeKey' };
    const f = await verdicts([trail()], { [KEY_ARN]: { metadata: null, policy: null, error } });
    expect(f['cloudtrail-kms-key-state']?.status).toBe('unknown');
    expect(f['cloudtrail-kms-key-state']?.message).toContain('DescribeKey failed: AccessDeniedException');
  });
});

describe('built-in pack: an organisation pair', () => {
  const archive = '999988887777';
  const archiveKey = `arn:aws:kms:us-east-1:${archive}:key/org-trail-key`;
  const orgTrail = trail({
    Name: 'org-trail',
    TrailARN: `arn:aws:cloudtrail:us-east-1:${OTHER_ACCOUNT}:trail/org-trail`,
    IsOrganizationTrail: true,
    KmsKeyId: archiveKey,
  });
  const archivePolicy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${archive}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Describe', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' },
      {
        Sid: 'Encrypt',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${OTHER_ACCOUNT}:trail/*` } },
      },
      {
        Sid: 'Read',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${archive}:role/LogReader` },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
      },
    ],
  };
  const member = snapshot(
    {
      account: { id: OTHER_ACCOUNT, partition: 'aws' },
      trails: [orgTrail] as never,
      keys: {
        [archiveKey]: {
          metadata: { ...ENABLED_KEY_METADATA, Arn: archiveKey },
          policy: null,
          error: { code: 'AccessDeniedException', message: 'cross-account', operation: 'GetKeyPolicy' },
        },
      },
    },
    'member.json',
  );
  const logArchive = snapshot(
    {
      account: { id: archive, partition: 'aws' },
      trails: [orgTrail] as never,
      keys: { [archiveKey]: { metadata: { ...ENABLED_KEY_METADATA, Arn: archiveKey }, policy: archivePolicy, error: null } },
    },
    'log-archive.json',
  );

  it('the member snapshot alone cannot judge the key policy', async () => {
    const f = byRule(await runBuiltIn([member]), orgTrail.TrailARN as string);
    for (const rule of POLICY_RULES) expect(f[rule]?.status, rule).toBe('unknown');
  });

  it('with the log-archive snapshot the key is looked up where its policy is, and the trail is judged once', async () => {
    const findings = await runBuiltIn([member, logArchive]);
    const f = byRule(findings, orgTrail.TrailARN as string);
    for (const rule of POLICY_RULES) expect(f[rule]?.status, rule).toBe('pass');
    expect(findings.filter((x) => x.ruleId === 'cloudtrail-sse-kms')).toHaveLength(1);
    expect(f['cloudtrail-sse-kms']?.resource).toMatchObject({ account: OTHER_ACCOUNT, region: 'us-east-1' });
  });
});

describe('built-in pack: ambiguous data is unknown, never a verdict that depends on the order of entries', () => {
  const ALL_RULES = ['cloudtrail-sse-kms', ...POLICY_RULES, 'cloudtrail-kms-key-state'];

  it('a trail listed twice with different contents: every rule is unknown and names the conflict, in either order', async () => {
    const copies = [trail(), trail({ KmsKeyId: undefined })];
    for (const order of [copies, [...copies].reverse()]) {
      const f = byRule(await runBuiltIn([snapshot({ trails: order as never, keys: { [KEY_ARN]: goodKey as never } })]));
      for (const rule of ALL_RULES) {
        expect(f[rule]?.status, rule).toBe('unknown');
        expect(f[rule]?.message, rule).toContain(`${TRAIL_ARN} is listed 2 times with different contents (KmsKeyId differ`);
      }
    }
  });

  it('the twin: identical copies (shadow trails) are one trail, judged once', async () => {
    const findings = await runBuiltIn([snapshot({ trails: [trail(), trail()] as never, keys: { [KEY_ARN]: goodKey as never } })]);
    expect(findings.filter((x) => x.ruleId === 'cloudtrail-sse-kms')).toHaveLength(1);
    for (const rule of ALL_RULES) expect(byRule(findings)[rule]?.status, rule).toBe('pass');
  });

  it('an alias two keys claim: the key rules are unknown and name both keys, in either order', async () => {
    const other = KEY_ARN.replace('1234abcd', '9999abcd');
    const keys = [
      [KEY_ARN, { ...goodKey, aliases: ['alias/logs'] }],
      [other, { ...goodKey, metadata: { ...ENABLED_KEY_METADATA, Arn: other }, aliases: ['alias/logs'] }],
    ] as const;
    for (const order of [keys, [...keys].reverse()]) {
      const f = await verdicts([trail({ KmsKeyId: 'alias/logs' })], Object.fromEntries(order));
      for (const rule of [...POLICY_RULES, 'cloudtrail-kms-key-state']) {
        expect(f[rule]?.status, rule).toBe('unknown');
        expect(f[rule]?.message, rule).toContain(`is claimed by 2 keys (${[KEY_ARN, other].sort().join(', ')})`);
      }
    }
  });

  it('the twin: an alias one key claims resolves to it', async () => {
    const f = await verdicts([trail({ KmsKeyId: 'alias/logs' })], { [KEY_ARN]: { ...goodKey, aliases: ['alias/logs'] } });
    for (const rule of [...POLICY_RULES, 'cloudtrail-kms-key-state']) expect(f[rule]?.status, rule).toBe('pass');
  });

  it('key metadata without KeyState: the key-state rule is unknown and says so; with it, the rule passes', async () => {
    const { KeyState: _, ...withoutState } = ENABLED_KEY_METADATA;
    const f = await verdicts([trail()], { [KEY_ARN]: { ...goodKey, metadata: withoutState } });
    expect(f['cloudtrail-kms-key-state']?.status).toBe('unknown');
    expect(f['cloudtrail-kms-key-state']?.message).toContain(`the metadata of ${KEY_ARN} does not record KeyState`);
    expect((await verdicts([trail()], { [KEY_ARN]: goodKey }))['cloudtrail-kms-key-state']?.status).toBe('pass');
  });

  it('a statement skipped as invalid is named in the evidence of every policy finding, a pass included', async () => {
    const policy = consolePolicy as { Statement: unknown[] };
    const withInvalid = {
      ...policy,
      Statement: [...policy.Statement, { Sid: 'Typo', Effect: 'Alow', Principal: '*', Action: 'kms:*', Resource: '*' }],
    };
    const f = await verdicts([trail()], { [KEY_ARN]: { ...goodKey, policy: withInvalid } });
    for (const rule of POLICY_RULES) {
      expect(f[rule]?.status, rule).toBe('pass');
      const details = f[rule]?.evidence.assertions?.[0]?.details;
      expect(details?.policyProblems, rule).toEqual(['Statement[5] (Sid "Typo"): Effect must be "Allow" or "Deny", found "Alow"']);
    }
  });
});
