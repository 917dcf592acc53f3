import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/core/model.js';
import { byRule, ENABLED_KEY_METADATA, KEY_ARN, runBuiltIn, snapshot, trail } from '../helpers/engine.js';

const corpus = (name: string) =>
  (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'corpus', 'key-policies', `${name}.json`), 'utf8')) as { policy: unknown })
    .policy;
const POLICY_RULES = ['cloudtrail-key-policy-describe-key', 'cloudtrail-key-policy-generate-data-key', 'cloudtrail-key-policy-decrypt'];

async function findings(
  metadata: Record<string, unknown> | null,
  policy: unknown,
  error: unknown = null,
): Promise<Record<string, Finding>> {
  return byRule(await runBuiltIn([snapshot({ trails: [trail()], keys: { [KEY_ARN]: { metadata, policy, error } as never } })]));
}

const fixOf = (f: Finding | undefined) => `${f?.fix?.summary ?? ''}\n${f?.fix?.command ?? ''}`;

describe('fixes fit the key and the cause', () => {
  it("an AWS managed key's fix is a customer managed key for the trail, never put-key-policy", async () => {
    const f = await findings({ ...ENABLED_KEY_METADATA, KeyManager: 'AWS' }, corpus('decrypt-root-only'));
    expect(f['cloudtrail-key-policy-decrypt']?.status).toBe('fail');
    expect(f['cloudtrail-kms-key-state']?.status).toBe('fail');
    for (const rule of [...POLICY_RULES, 'cloudtrail-kms-key-state']) {
      if (f[rule]?.status !== 'fail') continue;
      expect(fixOf(f[rule]), rule).toContain('is an AWS managed key, whose policy cannot be changed');
      expect(fixOf(f[rule]), rule).toContain('aws cloudtrail update-trail');
      expect(fixOf(f[rule]), rule).not.toContain('put-key-policy');
      expect(f[rule]?.fix?.statement, rule).toBeUndefined();
    }
  });

  it("the twin: a customer managed key's policy fix is put-key-policy with the statement to add", async () => {
    const f = await findings(ENABLED_KEY_METADATA, corpus('decrypt-root-only'));
    const decrypt = f['cloudtrail-key-policy-decrypt'];
    expect(decrypt?.status).toBe('fail');
    expect(fixOf(decrypt)).toContain('aws kms put-key-policy');
    expect(decrypt?.fix?.statement).toMatchObject({ Action: 'kms:Decrypt' });
  });

  it('a decrypt fix never asks to remove or edit the root kms:* delegation, and the message says what is missing', async () => {
    const f = await findings(ENABLED_KEY_METADATA, corpus('decrypt-root-only'));
    const decrypt = f['cloudtrail-key-policy-decrypt'];
    expect(decrypt?.message).toContain(
      'has no statement that grants kms:Decrypt to an IAM principal only with the CloudTrail encryption context',
    );
    expect(fixOf(decrypt)).toContain('Keep the account');
    expect(fixOf(decrypt)).not.toMatch(/remove|delete|edit/i);
  });

  it.each([
    ['Disabled', ['aws kms enable-key'], ['cancel-key-deletion', 'create-key']],
    ['PendingDeletion', ['aws kms cancel-key-deletion', 'aws kms enable-key'], ['create-key']],
  ])('a %s key: the fix is %j and nothing else', async (state, wanted, unwanted) => {
    const f = await findings({ ...ENABLED_KEY_METADATA, KeyState: state, Enabled: false }, corpus('cis-three-statements'));
    const fix = fixOf(f['cloudtrail-kms-key-state']);
    for (const text of wanted) expect(fix).toContain(text);
    for (const text of unwanted) expect(fix).not.toContain(text);
    if (state === 'PendingDeletion') expect(fix.indexOf('cancel-key-deletion')).toBeLessThan(fix.indexOf('enable-key'));
  });

  it('an asymmetric key: a new symmetric customer managed key for the trail', async () => {
    const f = await findings({ ...ENABLED_KEY_METADATA, KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }, corpus('cis-three-statements'));
    const fix = fixOf(f['cloudtrail-kms-key-state']);
    expect(fix).toContain('is not a symmetric encryption key');
    expect(fix).toContain('--key-spec SYMMETRIC_DEFAULT');
    expect(fix).not.toContain('enable-key');
  });

  it('a key that does not exist: a new key for the trail', async () => {
    const error = { code: 'NotFoundException', message: 'does not exist', operation: 'DescribeKey' };
    const f = await findings(null, null, error);
    const fix = fixOf(f['cloudtrail-kms-key-state']);
    expect(fix).toContain('does not exist');
    expect(fix).toContain('aws kms create-key');
  });

  it('a Deny that blocks CloudTrail is named as the cause, in the message and the fix', async () => {
    const f = await findings(ENABLED_KEY_METADATA, corpus('deny-outside-org-blocks-cloudtrail'));
    for (const rule of ['cloudtrail-key-policy-describe-key', 'cloudtrail-key-policy-generate-data-key']) {
      expect(f[rule]?.message, rule).toMatch(
        /denies kms:\w+ for service cloudtrail\.amazonaws\.com by Statement\[4\] \(Sid "DenyOutsideOrg"\)/,
      );
      expect(fixOf(f[rule]), rule).toContain('Statement[4] of the policy of key');
      expect(fixOf(f[rule]), rule).toContain('aws:PrincipalIsAWSService');
      expect(f[rule]?.fix?.statement, rule).toBeUndefined();
    }
  });
});
