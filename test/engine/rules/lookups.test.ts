import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrailguardError } from '../../../engine/core/errors.js';
import type { Finding } from '../../../engine/core/model.js';
import { evaluateRules } from '../../../engine/evaluate/evaluate-rule.js';
import { loadRulePacks } from '../../../engine/rules/load-rules.js';
import { SnapshotSet } from '../../../engine/snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../../../engine/snapshot/types.js';
import { tempDir } from '../../helpers/cli.js';
import { ENABLED_KEY_METADATA, KEY_ARN, snapshot, TRAIL_ARN, trail } from '../../helpers/engine.js';

const OTHER_TRAIL = TRAIL_ARN.replace('management-events', 'data-events');

async function pack(files: Record<string, string>) {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadRulePacks([dir]);
}

async function problems(files: Record<string, string>): Promise<string[]> {
  try {
    await pack(files);
    return [];
  } catch (error) {
    if (!(error instanceof TrailguardError)) throw error;
    return error.diagnostics.map((d) => `${d.line}:${d.column} ${d.message} [${d.code}]`);
  }
}

async function run(rule: string, snapshots: readonly LoadedSnapshot[]): Promise<Finding[]> {
  const [loaded] = await pack({ 'r.yaml': rule });
  return [...evaluateRules(loaded?.rules ?? [], new SnapshotSet(snapshots))];
}

const head = 'id: r\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\n';

const LOGGING = `${head}let:
  status: { lookup: entry, in: snapshot.trailStatus, of: $.TrailARN }
assert:
  - { path: status.IsLogging, op: equals, value: true }
message: "{{verdict.reason}}"
`;

describe('the entry lookup: an entry of any keyed collection, by a value of the resource', () => {
  it('finds the entry by the value, in any snapshot given, and judges it', async () => {
    const own = snapshot({
      trails: [trail(), trail({ Name: 'data-events', TrailARN: OTHER_TRAIL })],
      trailStatus: { [TRAIL_ARN]: { IsLogging: true } },
    } as never);
    const other = snapshot(
      { account: { id: '444455556666', partition: 'aws' }, trailStatus: { [OTHER_TRAIL]: { IsLogging: false } } } as never,
      'other.json',
    );
    const findings = await run(LOGGING, [own, other]);
    expect(findings.map((f) => [f.resource.id, f.status])).toEqual([
      [TRAIL_ARN, 'pass'],
      [OTHER_TRAIL, 'fail'],
    ]);
    expect(findings[0]?.evidence.lookups).toEqual({ status: TRAIL_ARN });
  });

  it('an entry a snapshot holds as null, when another snapshot holds it, is found there', async () => {
    const own = snapshot({ trails: [trail()], trailStatus: { [TRAIL_ARN]: null } } as never);
    const other = snapshot({ trailStatus: { [TRAIL_ARN]: { IsLogging: true } } } as never, 'other.json');
    expect((await run(LOGGING, [own, other]))[0]?.status).toBe('pass');
  });

  it('an entry not collected is unknown, naming the failed call the snapshot recorded', async () => {
    const failed = snapshot({
      trails: [trail()],
      trailStatus: { [TRAIL_ARN]: null },
      errors: [
        { region: 'us-east-1', operation: 'GetTrailStatus', code: 'AccessDeniedException', message: 'not authorized', resource: TRAIL_ARN },
      ],
    } as never);
    const [finding] = await run(LOGGING, [failed]);
    expect(finding?.status).toBe('unknown');
    expect(finding?.message).toBe(
      `trailStatus of ${TRAIL_ARN} was not collected (GetTrailStatus failed: AccessDeniedException: not authorized)`,
    );
  });

  it('a null entry without a recorded failure, and a missing entry, are unknown and say which', async () => {
    const nulled = await run(LOGGING, [snapshot({ trails: [trail()], trailStatus: { [TRAIL_ARN]: null } } as never)]);
    expect(nulled[0]?.status).toBe('unknown');
    expect(nulled[0]?.message).toBe(`trailStatus of ${TRAIL_ARN} is null in snapshot.json: it was not collected`);
    const missing = await run(LOGGING, [snapshot({ trails: [trail()] })]);
    expect(missing[0]?.status).toBe('unknown');
    expect(missing[0]?.message).toBe(`no snapshot given records trailStatus of ${TRAIL_ARN}`);
  });

  it('a value that cannot name an entry is unknown', async () => {
    const rule = LOGGING.replace('of: $.TrailARN', 'of: $.IsMultiRegionTrail');
    const [finding] = await run(rule, [snapshot({ trails: [trail()], trailStatus: { [TRAIL_ARN]: { IsLogging: true } } } as never)]);
    expect(finding?.status).toBe('unknown');
    expect(finding?.message).toBe('true cannot name an entry of trailStatus');
  });

  it('needs in, a path into each snapshot, and takes in with no other lookup', async () => {
    expect(
      await problems({ 'r.yaml': `${head}let:\n  s: { lookup: entry, of: $.TrailARN }\nassert: [{ path: s.IsLogging, op: exists }]\n` }),
    ).toEqual([
      '6:6 lookup binding s needs in: the collection to look in, a path into each snapshot such as snapshot.trailStatus, found null [rule-schema]',
    ]);
    expect(
      await problems({
        'r.yaml': `${head}let:\n  s: { lookup: entry, in: $.trailStatus, of: $.TrailARN }\nassert: [{ path: s.IsLogging, op: exists }]\n`,
      }),
    ).toEqual([
      '6:27 lookup binding s needs in: the collection to look in, a path into each snapshot such as snapshot.trailStatus, found "$.trailStatus" [rule-schema]',
    ]);
    expect(
      await problems({
        'r.yaml': `${head}let:\n  k: { lookup: kms-key, in: snapshot.keys, of: $.KmsKeyId }\nassert: [{ path: k.arn, op: exists }]\n`,
      }),
    ).toEqual(['6:25 in goes with lookup: entry, not with lookup: kms-key [rule-schema]']);
  });
});

describe('paths are never templates', () => {
  it('a template in a path is reported where it is, with the lookup to write instead', async () => {
    const rule = `${head}assert:\n  - { path: "snapshot.trailStatus['{{resource.TrailARN}}'].IsLogging", op: equals, value: true }\n`;
    expect(await problems({ 'r.yaml': rule })).toEqual([
      `6:13 path "snapshot.trailStatus['{{resource.TrailARN}}'].IsLogging" holds a template, but paths are not templates: bind the entry with a lookup, let: { trailStatus: { lookup: entry, in: snapshot.trailStatus, of: $.TrailARN } }, and read trailStatus.IsLogging [json-path]`,
    ]);
  });

  it('a template elsewhere in a path gets the general advice, in resources too', async () => {
    const rule =
      'id: r\ntitle: t\nseverity: low\nresources: { path: "$.trails[{{x}}]", id: TrailARN, type: T }\nassert: [{ path: $.Name, op: exists }]\n';
    const [problem] = await problems({ 'r.yaml': rule });
    expect(problem).toMatch(
      /^4:20 path "\$\.trails\[\{\{x\}\}\]" holds a template, but paths are not templates: to find an entry of a collection by a value of the resource, bind it with a lookup/,
    );
  });
});

describe('require names the call that would have read the field', () => {
  const KEY_RULE = (field: string) =>
    `${head}let:\n  key: { lookup: kms-key, of: $.KmsKeyId, require: [${field}] }\nassert: [{ path: key.arn, op: exists }]\nmessage: "{{verdict.reason}}"\n`;
  const keyEntry = (extra: Record<string, unknown>) => ({
    metadata: ENABLED_KEY_METADATA,
    policy: { Statement: [] },
    error: null,
    ...extra,
  });

  it('a missing rotation status is not blamed on a failed GetKeyPolicy', async () => {
    const snap = snapshot({
      trails: [trail()],
      keys: { [KEY_ARN]: keyEntry({ policy: null, error: { operation: 'GetKeyPolicy', code: 'AccessDeniedException', message: 'no' } }) },
    } as never);
    const [finding] = await run(KEY_RULE('rotationEnabled'), [snap]);
    expect(finding?.status).toBe('unknown');
    expect(finding?.message).toBe(`the rotationEnabled of ${KEY_ARN} is not in the snapshot (GetKeyRotationStatus would have read it)`);
  });

  it('a failed call about the key recorded in the snapshot explains its field', async () => {
    const snap = snapshot({
      trails: [trail()],
      keys: { [KEY_ARN]: keyEntry({ rotationEnabled: null }) },
      errors: [
        { region: 'us-east-1', operation: 'GetKeyRotationStatus', code: 'AccessDeniedException', message: 'denied', resource: KEY_ARN },
      ],
    } as never);
    const [finding] = await run(KEY_RULE('rotationEnabled'), [snap]);
    expect(finding?.message).toBe(
      `the rotationEnabled of ${KEY_ARN} was not collected (GetKeyRotationStatus failed: AccessDeniedException: denied)`,
    );
  });

  it("the key's own error explains the field its call reads, and a failed DescribeKey every field", async () => {
    const policyFailed = snapshot({
      trails: [trail()],
      keys: { [KEY_ARN]: keyEntry({ policy: null, error: { operation: 'GetKeyPolicy', code: 'AccessDeniedException', message: 'no' } }) },
    } as never);
    expect((await run(KEY_RULE('policy'), [policyFailed]))[0]?.message).toBe(
      `the policy of ${KEY_ARN} was not collected (GetKeyPolicy failed: AccessDeniedException: no)`,
    );
    const describeFailed = snapshot({
      trails: [trail()],
      keys: {
        [KEY_ARN]: { metadata: null, policy: null, error: { operation: 'DescribeKey', code: 'NotFoundException', message: 'gone' } },
      },
    } as never);
    expect((await run(KEY_RULE('policy'), [describeFailed]))[0]?.message).toBe(
      `the policy of ${KEY_ARN} was not collected (DescribeKey failed: NotFoundException: gone)`,
    );
  });

  it('a field of a field is judged on the record that holds it', async () => {
    const snap = snapshot({ trails: [trail()], keys: { [KEY_ARN]: keyEntry({}) } } as never);
    expect((await run(KEY_RULE('metadata.Description'), [snap]))[0]?.message).toBe(
      `the metadata of ${KEY_ARN} does not record Description, so it cannot be judged`,
    );
    const noMetadata = snapshot({ trails: [trail()], keys: { [KEY_ARN]: keyEntry({ metadata: null }) } } as never);
    expect((await run(KEY_RULE('metadata.KeyState'), [noMetadata]))[0]?.message).toBe(
      `the metadata of ${KEY_ARN} is not in the snapshot (DescribeKey would have read it)`,
    );
  });

  it('a key not in any snapshot names a failed DescribeKey about it', async () => {
    const snap = snapshot({
      trails: [trail()],
      errors: [{ region: 'us-east-1', operation: 'DescribeKey', code: 'AccessDeniedException', message: 'denied', resource: KEY_ARN }],
    } as never);
    expect((await run(KEY_RULE('policy'), [snap]))[0]?.message).toBe(
      `key ${KEY_ARN} was not collected (DescribeKey failed: AccessDeniedException: denied)`,
    );
  });
});

describe('resources that are not trails', () => {
  const KEYS = `id: r
title: t
severity: low
resources: { path: "$.keys.*", id: "~", type: "AWS::KMS::Key" }
let:
  key: { lookup: kms-key, of: "~" }
when:
  - { path: key.usedBy, op: length, min: 1 }
assert:
  - { path: key.rotationEnabled, op: equals, value: true }
message: "{{key.usedBy}}"
`;
  const OTHER_KEY = KEY_ARN.replace('1234abcd', '9999abcd');
  const entry = (rotationEnabled: boolean) => ({ metadata: ENABLED_KEY_METADATA, policy: null, error: null, rotationEnabled });

  it('a rule over keys gives one finding per key, its ARN the id, and usedBy names the trails that use it however they name it', async () => {
    const snap = snapshot({
      trails: [
        trail({ KmsKeyId: KEY_ARN }),
        trail({ Name: 'data-events', TrailARN: OTHER_TRAIL, KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
      ],
      keys: { [KEY_ARN]: entry(false), [OTHER_KEY]: entry(true) },
    } as never);
    const findings = await run(KEYS, [snap]);
    expect(findings.map((f) => [f.resource.id, f.resource.account, f.resource.region, f.status])).toEqual([
      [KEY_ARN, '111122223333', 'us-east-1', 'fail'],
      [OTHER_KEY, '111122223333', 'us-east-1', 'skip'],
    ]);
    expect(findings[0]?.message).toBe(JSON.stringify([TRAIL_ARN, OTHER_TRAIL]));
  });

  it("usedBy is worked out for the view, not written into the results' documents", async () => {
    const set = new SnapshotSet([snapshot({ trails: [trail()], keys: { [KEY_ARN]: entry(true) } } as never)]);
    const view = set.key(KEY_ARN);
    expect(view?.usedBy).toEqual([TRAIL_ARN]);
    expect(Object.keys(view ?? {})).not.toContain('usedBy');
  });

  it('a trail listed by two snapshots uses the key once', () => {
    const listed = { trails: [trail()], keys: { [KEY_ARN]: entry(true) } } as never;
    const set = new SnapshotSet([snapshot(listed), snapshot(listed, 'copy.json')]);
    expect(set.key(KEY_ARN)?.usedBy).toEqual([TRAIL_ARN]);
    expect(set.trailsUsing(OTHER_KEY)).toEqual([]);
  });

  it('~ reads the resource id in any path position a binding or assertion takes', async () => {
    const rule = `id: r\ntitle: t\nseverity: low\nresources: { path: "$.keys.*", id: "~", type: K }\nassert:\n  - { path: "~", op: startsWith, value: "arn:aws:kms:" }\n`;
    const findings = await run(rule, [snapshot({ keys: { [KEY_ARN]: entry(true) } } as never)]);
    expect(findings.map((f) => [f.resource.id, f.status, f.evidence.assertions?.[0]?.observed])).toEqual([[KEY_ARN, 'pass', KEY_ARN]]);
  });
});
