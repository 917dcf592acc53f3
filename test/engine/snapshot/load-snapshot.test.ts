import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArn } from '../../../engine/core/arn.js';
import { inMemorySnapshot, loadSnapshot } from '../../../engine/snapshot/load-snapshot.js';
import { SnapshotSet } from '../../../engine/snapshot/snapshot-set.js';
import { tempDir } from '../../helpers/cli.js';
import { KEY_ARN, snapshot } from '../../helpers/engine.js';

const policy = { Version: '2012-10-17', Statement: [] };

function write(document: unknown): string {
  const file = join(tempDir(), 'snapshot.json');
  writeFileSync(file, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  return file;
}

describe('loading a snapshot', () => {
  it("parses a key policy given as GetKeyPolicy's JSON string, and records the file's SHA-256", async () => {
    const file = write({
      schemaVersion: 1,
      account: { id: '111122223333', partition: 'aws' },
      trails: [],
      keys: { [KEY_ARN]: { metadata: null, policy: JSON.stringify(policy) } },
    });
    const loaded = await loadSnapshot(file);
    expect(loaded.document.keys[KEY_ARN]?.policy).toEqual(policy);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a key policy that repeats a name ("Effect" twice), at the repeat, as an inline object or a string', async () => {
    const statement = '{"Sid":"Readers","Effect":"Allow","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}';
    const inline = `{"schemaVersion":1,"account":{"id":"111122223333","partition":"aws"},"trails":[{"Name":"t","TrailARN":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t","KmsKeyId":"${KEY_ARN}"}],\n"keys":{"${KEY_ARN}":{"metadata":null,\n"policy":{"Version":"2012-10-17","Statement":[${statement}]}}}}`;
    const file = write(inline);
    const error = (await loadSnapshot(file).catch((e: unknown) => e)) as Error;
    const column = (inline.split('\n')[2] as string).indexOf('"Effect":"Deny"') + 1;
    expect(error.message).toBe(
      `${file}:3:${column} keys["${KEY_ARN}"].policy holds "Effect" twice in Statement[0]: a policy that repeats a name means different things to different JSON readers, so trailguard does not judge it (KMS keeps one of the two) [snapshot-policy]`,
    );
    const asString = write({
      schemaVersion: 1,
      account: { id: '111122223333', partition: 'aws' },
      trails: [],
      keys: { [KEY_ARN]: { metadata: null, policy: `{"Version":"2012-10-17","Statement":[${statement}]}` } },
    });
    expect(((await loadSnapshot(asString).catch((e: unknown) => e)) as Error).message).toContain('holds "Effect" twice in Statement[0]');
  });

  it('the twin: the same name in two statements is no repeat', async () => {
    const file = write({
      schemaVersion: 1,
      account: { id: '111122223333', partition: 'aws' },
      trails: [],
      keys: { [KEY_ARN]: { metadata: null, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow' }, { Effect: 'Deny' }] } } },
    });
    expect((await loadSnapshot(file)).document.keys[KEY_ARN]?.policy).toMatchObject({
      Statement: [{ Effect: 'Allow' }, { Effect: 'Deny' }],
    });
  });

  it('accepts a UTF-8 byte-order mark', async () => {
    const file = write(
      `\uFEFF${JSON.stringify({ schemaVersion: 1, account: { id: '111122223333', partition: 'aws' }, trails: [], keys: {} })}`,
    );
    expect((await loadSnapshot(file)).document.trails).toEqual([]);
  });

  it('rejects a policy string that is not a JSON object, at its place', async () => {
    const file = write({
      schemaVersion: 1,
      account: { id: '111122223333', partition: 'aws' },
      trails: [],
      keys: { [KEY_ARN]: { metadata: null, policy: '[1]' } },
    });
    await expect(loadSnapshot(file)).rejects.toThrow(
      /:11:17 keys\["arn:aws:kms:.*"\]\.policy must be a JSON policy document \(object\), as GetKeyPolicy returns it: found an array \[snapshot-policy\]/,
    );
  });

  it('reports every schema problem of the file with line and column', async () => {
    const file = write({ schemaVersion: 1, account: { id: 'x', partition: 'mars' }, trails: [{ Name: 'a' }], keys: [] });
    const error = await loadSnapshot(file).catch((e: Error) => e);
    expect(String((error as Error).message).split('\n')).toEqual([
      `${file}:4:11 account.id must match ^[0-9]{12}$, found "x" [snapshot-schema]`,
      `${file}:5:18 account.partition must be one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, found "mars" [snapshot-schema]`,
      `${file}:8:5 trails[0] is missing the required property TrailARN [snapshot-schema]`,
      `${file}:12:11 keys must be an object, found an array [snapshot-schema]`,
    ]);
  });
});

describe('several snapshots', () => {
  const readable = { metadata: { KeyId: 'k' }, policy, error: null };
  const unreadable = {
    metadata: { KeyId: 'k' },
    policy: null,
    error: { code: 'AccessDeniedException', message: 'x', operation: 'GetKeyPolicy' },
  };

  it('the entry holding the policy wins, whatever the order', () => {
    for (const order of [
      [unreadable, readable],
      [readable, unreadable],
    ]) {
      const set = new SnapshotSet(order.map((entry, i) => snapshot({ keys: { [KEY_ARN]: entry as never } }, `s${i}.json`)));
      expect(set.key(KEY_ARN)?.policy).toEqual(policy);
    }
  });

  it("resolves aliases that a snapshot records, in the key's Region and account", () => {
    const set = new SnapshotSet([snapshot({ keys: { [KEY_ARN]: { ...readable, aliases: ['alias/logs'] } as never } })]);
    expect(set.keyForAlias('arn:aws:kms:us-east-1:111122223333:alias/logs')).toMatchObject({ arn: KEY_ARN });
    expect(set.keyForAlias('arn:aws:kms:eu-west-1:111122223333:alias/logs')).toBeUndefined();
  });

  it("an account's organisation: its own snapshot, or a snapshot naming it as the management account; otherwise unrecorded", () => {
    const member = snapshot({ organization: { Id: 'o-a1b2c3d4e5', MasterAccountId: '999988887777' } }, 'member.json');
    const set = new SnapshotSet([member]);
    expect(set.organisation('111122223333')).toEqual({ state: 'member', id: 'o-a1b2c3d4e5', source: 'recorded by member.json' });
    expect(set.organisation('999988887777')).toEqual({
      state: 'member',
      id: 'o-a1b2c3d4e5',
      source: 'the management account of o-a1b2c3d4e5 in member.json',
    });
    expect(set.organisation('444455556666')).toEqual({ state: 'unknown' });
    expect(new SnapshotSet([snapshot({ organization: null })]).organisation('111122223333')).toMatchObject({ state: 'none' });
    expect(new SnapshotSet([snapshot({})]).organisation('111122223333')).toEqual({ state: 'unknown' });
  });

  it('two snapshots of one account that record different organisations leave it unknown, naming both, in either order', () => {
    const a = snapshot({ organization: { Id: 'o-aaaaaaaaaa' } }, 'a.json');
    const b = snapshot({ organization: null }, 'b.json');
    expect(new SnapshotSet([a, b]).organisation('111122223333')).toEqual({
      state: 'unknown',
      conflict: 'a.json records o-aaaaaaaaaa and b.json records no organisation',
    });
    expect(new SnapshotSet([b, a]).organisation('111122223333')).toEqual({
      state: 'unknown',
      conflict: 'b.json records no organisation and a.json records o-aaaaaaaaaa',
    });
    expect(new SnapshotSet([a, snapshot({ organization: { Id: 'o-aaaaaaaaaa' } }, 'c.json')]).organisation('111122223333')).toMatchObject({
      state: 'member',
      source: 'recorded by a.json',
    });
  });

  it('an alias two keys claim names neither, in whatever order the snapshots come', () => {
    const other = KEY_ARN.replace('1234abcd', '9999abcd');
    const entries = [
      [KEY_ARN, { ...readable, aliases: ['alias/logs'] }],
      [other, { ...readable, aliases: ['alias/logs'] }],
    ] as const;
    for (const order of [entries, [...entries].reverse()]) {
      const set = new SnapshotSet(order.map(([arn, entry], i) => snapshot({ keys: { [arn]: entry as never } }, `s${i}.json`)));
      expect(set.keyForAlias('arn:aws:kms:us-east-1:111122223333:alias/logs')).toEqual({ contested: [KEY_ARN, other].sort() });
    }
  });
});

describe('ARNs', () => {
  it.each([
    [
      'arn:aws:cloudtrail:us-east-1:111122223333:trail/main',
      { partition: 'aws', service: 'cloudtrail', region: 'us-east-1', account: '111122223333', resource: 'trail/main' },
    ],
    [
      'arn:aws-us-gov:iam::111122223333:role/a:b',
      { partition: 'aws-us-gov', service: 'iam', region: '', account: '111122223333', resource: 'role/a:b' },
    ],
    ['arn:aws:s3:::bucket/key', { partition: 'aws', service: 's3', region: '', account: '', resource: 'bucket/key' }],
  ])('parses %s', (text, parts) => {
    expect(parseArn(text)).toEqual(parts);
  });

  it.each(['', 'arn:aws:kms', 'not:an:arn:a:b:c', 'arn::kms:r:a:k'])('rejects %j', (text) => {
    expect(parseArn(text)).toBeUndefined();
  });
});

describe('a snapshot held in memory', () => {
  it('is validated and its policy strings parsed into a new document; the object given is never changed', () => {
    const deepFreeze = <T>(value: T): T => {
      if (value !== null && typeof value === 'object') {
        for (const child of Object.values(value)) deepFreeze(child);
        Object.freeze(value);
      }
      return value;
    };
    const data = deepFreeze({
      schemaVersion: 1,
      account: { id: '111122223333', partition: 'aws' },
      trails: [],
      keys: { [KEY_ARN]: { metadata: null, error: null, policy: JSON.stringify(policy) } },
    });
    const loaded = inMemorySnapshot(data, 'mine');
    expect(loaded.document.keys[KEY_ARN]?.policy).toEqual(policy);
    expect(data.keys[KEY_ARN]?.policy).toBe(JSON.stringify(policy));
    expect(loaded.path).toBe('mine');
    const trail = { Name: 5, TrailARN: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/t' };
    expect(() => inMemorySnapshot({ ...data, trails: [trail] }, 'bad')).toThrow(
      /^bad:\d+:\d+ trails\[0\]\.Name must be a string, found number 5 \[snapshot-schema\]/,
    );
  });
});
