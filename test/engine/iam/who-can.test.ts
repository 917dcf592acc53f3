import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyQueryEvidence } from '../../../engine/core/evidence.js';
import type { Finding } from '../../../engine/core/model.js';
import { evaluateRules } from '../../../engine/evaluate/evaluate-rule.js';
import { loadRulePacks } from '../../../engine/rules/load-rules.js';
import { SnapshotSet } from '../../../engine/snapshot/snapshot-set.js';
import { tempDir } from '../../helpers/cli.js';
import { ACCOUNT, ENABLED_KEY_METADATA, KEY_ARN, snapshot, trail } from '../../helpers/engine.js';

const OTHER = '333344445555';
const EC = 'kms:EncryptionContext:aws:cloudtrail:arn';

/** The finding of one iam-grantees assertion (its options as YAML flow) on a key with this policy. */
async function query(
  options: string,
  statements: readonly Record<string, unknown>[] | { readonly policy: unknown },
  request = '{ action: kms:Decrypt, resource: "{{key.arn}}", key: "{{key}}" }',
): Promise<Finding> {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'r.yaml'),
    `id: r
title: t
severity: high
resources: { path: "$.trails[*]", id: TrailARN, type: T }
let:
  trail: { arn: $.TrailARN }
  key: { lookup: kms-key, of: $.KmsKeyId }
assert:
  - { path: key.policy, op: iam-grantees, request: ${request}, ${options} }
message: "{{verdict.reason}}"
`,
  );
  const [pack] = await loadRulePacks([dir]);
  const policy = 'policy' in statements ? statements.policy : { Version: '2012-10-17', Statement: statements };
  const snap = snapshot({
    trails: [trail()],
    keys: { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy, error: null } },
  } as never);
  const [finding] = [...evaluateRules(pack?.rules ?? [], new SnapshotSet([snap]))];
  return finding as Finding;
}

const grantees = (f: Finding) => (f.evidence.assertions?.[0]?.details as PolicyQueryEvidence | undefined)?.grantees ?? [];

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const ONLY_OWN = 'only: ["{{trail.account}}"]';

// Each row has a twin that differs in one thing and must come out the other way.
describe('iam-grantees: who the policy grants a request to', () => {
  it('the account itself (its root delegation) is accepted as the account', async () => {
    const f = await query(ONLY_OWN, [ROOT]);
    expect(f.status).toBe('pass');
    expect(f.message).toBe(`grants kms:Decrypt only to account ${ACCOUNT}, each of them accepted`);
    expect(grantees(f)).toEqual([
      {
        who: `account ${ACCOUNT}`,
        kind: 'account',
        account: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        status: 'granted',
        allowedBy: [{ index: 0, sid: 'root' }],
      },
    ]);
  });

  const crossAccount = {
    Sid: 'member reads its logs',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { StringLike: { [EC]: `arn:aws:cloudtrail:*:${OTHER}:trail/*` } },
  };

  it('another account that can decrypt under some encryption context fails, with the statement and its condition', async () => {
    const f = await query(ONLY_OWN, [ROOT, crossAccount]);
    expect(f.status).toBe('fail');
    expect(f.message).toBe(
      `grants kms:Decrypt to account ${OTHER} (by Statement[1] (Sid "member reads its logs"), when StringLike ${EC} "arn:aws:cloudtrail:*:${OTHER}:trail/*"), which is not one of ${ACCOUNT}`,
    );
    expect((f.evidence.assertions?.[0]?.details as PolicyQueryEvidence | undefined)?.violations).toEqual([`account ${OTHER}`]);
  });

  it('twin: the same account listed as trusted passes', async () => {
    const f = await query(`only: ["{{trail.account}}", "${OTHER}"]`, [ROOT, crossAccount]);
    expect(f.status).toBe('pass');
  });

  it('twin: a Deny for every principal outside the account takes the grant away', async () => {
    const deny = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalAccount': ACCOUNT } },
    };
    expect((await query(ONLY_OWN, [ROOT, crossAccount, deny])).status).toBe('pass');
  });

  it('a condition no request can meet grants nothing; twin: one a request can meet grants', async () => {
    const never = { ...crossAccount, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    expect((await query(ONLY_OWN, [ROOT, never])).status).toBe('pass');
    const always = { ...crossAccount, Condition: { Bool: { 'aws:SecureTransport': 'true' } } };
    expect((await query(ONLY_OWN, [ROOT, always])).status).toBe('fail');
  });

  it('a grant only when the encryption context is present (Null "false", CloudTrail\'s decrypt statement) is a grant; twin: only when it is absent, under `without`, is none', async () => {
    const present = { ...crossAccount, Condition: { Null: { [EC]: 'false' } } };
    const f = await query(ONLY_OWN, [ROOT, present]);
    expect(f.status).toBe('fail');
    expect(f.message).toContain(`when Null ${EC} "false"`);
    // Twin: a request that carries no encryption context never meets it.
    const without = `{ action: kms:Decrypt, resource: "{{key.arn}}", key: "{{key}}", without: ["${EC}"] }`;
    expect((await query(ONLY_OWN, [ROOT, present], without)).status).toBe('pass');
  });

  it('a wildcard principal stands for any account the policy does not name; twin: one confined to the own account', async () => {
    const open = { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' };
    const f = await query('noWildcard: true', [ROOT, open]);
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(
      /^grants kms:Decrypt to any principal of account \d{12}, which the policy does not name \(by Statement\[1\]\)/,
    );
    const confined = { ...open, Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } };
    const twin = await query('noWildcard: true', [ROOT, confined]);
    expect(twin.status).toBe('pass');
    // The confined wildcard stands for the account itself, already a grantee: both statements grant it.
    expect(grantees(twin).map((g) => [g.who, g.allowedBy.map((r) => r.index)])).toEqual([[`account ${ACCOUNT}`, [0, 1]]]);
  });

  it('a grant that depends on an unrecorded fact about the caller is unknown; twin: when the fact is pinned by the account', async () => {
    const org = {
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
    };
    const f = await query(ONLY_OWN, [ROOT, org]);
    expect(f.status).toBe('unknown');
    expect(f.message).toMatch(
      /^cannot be decided from the snapshot: it may grant kms:Decrypt to any principal of account \d{12}.*granted for some values of aws:PrincipalOrgID, which no snapshot records/,
    );
    const pinned = { ...org, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc', 'aws:PrincipalAccount': ACCOUNT } } };
    expect((await query(ONLY_OWN, [ROOT, pinned])).status).toBe('pass');
  });

  it('none: no one may decrypt without the encryption context; twin: a grant that requires it', async () => {
    const unconfined = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Reader` }, Action: 'kms:Decrypt', Resource: '*' };
    const withoutEc = (statement: Record<string, unknown>) =>
      query('none: true', [statement], `{ action: kms:Decrypt, resource: "{{key.arn}}", without: ["${EC}"] }`);
    const f = await withoutEc(unconfined);
    expect(f.status).toBe('fail');
    expect(f.message).toBe(`grants kms:Decrypt to arn:aws:iam::${ACCOUNT}:role/Reader (by Statement[0])`);
    const confined = { ...unconfined, Condition: { Null: { [EC]: 'false' } } };
    const twin = await withoutEc(confined);
    expect(twin.status).toBe('pass');
    expect(twin.message).toBe('grants kms:Decrypt to no one');
  });

  it('an ARN pattern accepts the principals it matches; twin: a role of another account', async () => {
    const role = (account: string) => ({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:role/Reader` },
      Action: 'kms:Decrypt',
      Resource: '*',
    });
    const only = `only: ["arn:aws:iam::${ACCOUNT}:role/*"]`;
    expect((await query(only, [role(ACCOUNT)])).status).toBe('pass');
    expect((await query(only, [role(OTHER)])).status).toBe('fail');
  });

  it('service principals count unless ignoreServices; twin with it', async () => {
    const service = { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:*', Resource: '*' };
    const f = await query(ONLY_OWN, [ROOT, service]);
    expect(f.status).toBe('fail');
    expect(f.message).toContain('grants kms:Decrypt to service cloudtrail.amazonaws.com (by Statement[1])');
    expect((await query(`${ONLY_OWN}, ignoreServices: true`, [ROOT, service])).status).toBe('pass');
    expect((await query('only: [cloudtrail.amazonaws.com, "{{trail.account}}"]', [ROOT, service])).status).toBe('pass');
  });

  it('NotPrincipal in an Allow grants everyone else; twin: in a Deny it grants nothing', async () => {
    const notPrincipal = { Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'kms:Decrypt', Resource: '*' };
    expect((await query('noWildcard: true', [ROOT, notPrincipal])).status).toBe('fail');
    expect((await query('noWildcard: true', [ROOT, { ...notPrincipal, Effect: 'Deny' }])).status).toBe('pass');
  });

  it('a statement for other actions grants nothing; twin: one whose wildcard covers the action', async () => {
    const other = (action: string) => ({ Effect: 'Allow', Principal: { AWS: OTHER }, Action: action, Resource: '*' });
    expect((await query(ONLY_OWN, [ROOT, other('kms:Encrypt')])).status).toBe('pass');
    expect((await query(ONLY_OWN, [ROOT, other('kms:Dec*')])).status).toBe('fail');
  });

  it('a policy with no statement grants the request to no one', async () => {
    expect((await query(ONLY_OWN, [])).message).toBe('grants kms:Decrypt to no one');
  });

  it('needs what it accepts, and none and only do not go together', async () => {
    const dir = join(tempDir(), 'bad');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'r.yaml'),
      'id: r\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\nassert:\n  - { path: $.x, op: iam-grantees, request: { action: kms:Decrypt, resource: "*" } }\n  - { path: $.x, op: iam-grantees, request: { action: kms:Decrypt, resource: "*" }, none: true, only: [] }\n',
    );
    await expect(loadRulePacks([dir])).rejects.toThrow(
      /6:5 .*iam-grantees needs what it accepts: only \(a list\), none: true or noWildcard: true[\s\S]*7:5 .*none and only contradict each other: give one/,
    );
  });

  it('a policy that was not collected is unknown; one that is not a document fails', async () => {
    const missing = await query(ONLY_OWN, { policy: null });
    expect([missing.status, missing.message]).toEqual(['unknown', 'has no policy document to evaluate (it was not collected)']);
    const absent = await query(ONLY_OWN, { policy: undefined });
    expect([absent.status, absent.message]).toEqual(['unknown', 'has no policy document to evaluate (it was not collected)']);
    const text = await query(ONLY_OWN, { policy: 'Allow everyone' });
    expect([text.status, text.message]).toEqual(['fail', 'is "Allow everyone", not a policy document']);
  });

  it('says whom it grants to and that each is accepted; without only, just whom', async () => {
    const role = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Reader` }, Action: 'kms:Decrypt', Resource: '*' };
    const accepted = await query(ONLY_OWN, [ROOT, role]);
    expect(accepted.message).toBe(
      `grants kms:Decrypt only to account ${ACCOUNT} and arn:aws:iam::${ACCOUNT}:role/Reader, each of them accepted`,
    );
    const plain = await query('noWildcard: true', [ROOT, role]);
    expect(plain.message).toBe(`grants kms:Decrypt only to account ${ACCOUNT} and arn:aws:iam::${ACCOUNT}:role/Reader`);
    expect((plain.evidence.assertions?.[0]?.details as PolicyQueryEvidence | undefined)?.violations).toBeUndefined();
  });

  it('names at most ten refused grantees and counts the rest; an empty only accepts no one', async () => {
    const accounts = Array.from({ length: 12 }, (_, i) => String(100000000000 + i));
    const f = await query('none: true', [{ Effect: 'Allow', Principal: { AWS: accounts }, Action: 'kms:Decrypt', Resource: '*' }]);
    expect(f.message).toBe(
      `grants kms:Decrypt to ${accounts
        .slice(0, 10)
        .map((a, i) => `${i === 9 ? 'and ' : ''}account ${a} (by Statement[0])`)
        .join(', ')
        .replace(', and ', ' and ')} and 2 more`,
    );
    const empty = await query('only: []', [ROOT]);
    expect(empty.message).toBe(`grants kms:Decrypt to account ${ACCOUNT} (by Statement[0] (Sid "root")), which is not one of (none)`);
  });

  it('an unknown grantee is told with why it is unknown', async () => {
    const org = {
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
    };
    const f = await query(ONLY_OWN, [org]);
    expect(f.message).toMatch(
      /^cannot be decided from the snapshot: it may grant kms:Decrypt to any principal of account \d{12}, which the policy does not name \(by Statement\[0\], when StringEquals aws:PrincipalOrgID "o-abc"; granted for some values of aws:PrincipalOrgID, which no snapshot records\)$/,
    );
  });

  it('an account entry is a whole twelve-digit id, and covers no service and no principal of an unnamed account', async () => {
    const forms = ['1111222233334', `x${ACCOUNT}`, `${ACCOUNT}0`];
    for (const form of forms) expect((await query(`only: ["${form}"]`, [ROOT])).status, form).toBe('fail');
    expect((await query(`only: ["${ACCOUNT}"]`, [ROOT])).status).toBe('pass');
    const service = { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' };
    expect((await query(`only: ["${ACCOUNT}"]`, [service])).status).toBe('fail');
    expect((await query('only: ["arn:aws:iam::*"]', [service])).status).toBe('fail');
    expect((await query('only: [cloudtrail.amazonaws.com]', [ROOT])).status).toBe('fail');
    // The account a wildcard stands for is one the policy does not name: listing it accepts nothing.
    const open = { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' };
    const found = grantees(await query('none: true', [open]))[0]?.account;
    expect((await query(`only: ["${found}", "arn:aws:iam::*"]`, [open])).status).toBe('fail');
  });

  it("an ARN entry covers an account grantee by the account's root ARN; twin: another account's root", async () => {
    expect((await query(`only: ["arn:aws:iam::${ACCOUNT}:root"]`, [ROOT])).status).toBe('pass');
    expect((await query(`only: ["arn:aws:iam::${OTHER}:root"]`, [ROOT])).status).toBe('fail');
  });

  it('a request a service forwards carries kms:ViaService; twin: a direct request does not', async () => {
    const via = {
      Effect: 'Allow',
      Principal: { AWS: OTHER },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
    };
    const forwarded = '{ action: kms:Decrypt, resource: "{{key.arn}}", viaService: s3.us-east-1.amazonaws.com }';
    expect((await query(ONLY_OWN, [via], forwarded)).status).toBe('fail');
    expect((await query(ONLY_OWN, [via])).status).toBe('pass');
  });
});
