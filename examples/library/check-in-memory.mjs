// trailguard as a library: check a snapshot your own code holds in memory, with the built-in pack, and read the
// findings and the summary. Run it from a checkout after `npm ci` (which builds dist/): node examples/library/check-in-memory.mjs
import { FORMATS, inMemorySnapshot, prepareCheck } from 'trailguard';

const account = '111122223333';
const key = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const trail = `arn:aws:cloudtrail:us-east-1:${account}:trail/main`;

// The shape `trailguard collect` writes (schemas/snapshot-v1.schema.json); a key policy that lets CloudTrail
// describe the key but grants GenerateDataKey without confining it to this account's trails.
const snapshot = inMemorySnapshot({
  schemaVersion: 1,
  account: { id: account, partition: 'aws' },
  trails: [{ Name: 'main', TrailARN: trail, HomeRegion: 'us-east-1', S3BucketName: 'logs', KmsKeyId: key }],
  keys: {
    [key]: {
      metadata: { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT' },
      error: null,
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
          { Sid: 'CloudTrail', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: ['kms:DescribeKey', 'kms:GenerateDataKey*'], Resource: '*' },
        ],
      },
    },
  },
});

const check = await prepareCheck({ snapshots: [snapshot] });
const results = check.stream();
for (const finding of results.findings) console.log(`${finding.status.padEnd(7)} ${finding.ruleId}`);
const { summary } = results.tail();
console.log(`${summary.total} findings, ${summary.failing} failing`);

// Any format the CLI writes is one call away: here, the first line of the CSV for the same snapshot.
const csv = [...FORMATS.get('csv').format(check.stream(), {})].join('');
console.log(csv.split('\n')[0]);
