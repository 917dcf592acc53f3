import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

/** Strings a snapshot or waiver might carry to break out of a report's markup, a Markdown table or a spreadsheet. */
export const HOSTILE = {
  trailName: '<script>alert("trail")</script> | `tick` **bold**\nsecond line',
  bucket: '"><svg onload=alert(1)>|`b`',
  formulaName: '=HYPERLINK("https://evil.example","click")',
  sid: '</code></pre><img src=x onerror=alert(1)>``` `',
  reason: '<iframe src="javascript:alert(1)"></iframe> | reason',
  owner: '+cmd|" /C calc"!A0',
} as const;

const PERIMETER_KEY = 'arn:aws:kms:us-east-2:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a003';

interface Snapshot {
  trails: { Name: string; S3BucketName: string }[];
  keys: Record<string, { policy: string | { Statement: { Sid?: string }[] } }>;
}

/**
 * The non-compliant example with hostile trail names (on the trails perimeter-deny and root-only-decrypt), bucket name (on every trail)
 * and statement Sid (the perimeter key's deny statement, which evidence quotes), written to DIR.
 */
export function writeHostileSnapshot(dir: string): string {
  const snapshot = JSON.parse(readFileSync(join(ROOT, 'examples/non-compliant/snapshot.json'), 'utf8')) as Snapshot;
  for (const trail of snapshot.trails) {
    trail.S3BucketName = HOSTILE.bucket;
    if (trail.Name === 'perimeter-deny') trail.Name = HOSTILE.trailName;
    if (trail.Name === 'root-only-decrypt') trail.Name = HOSTILE.formulaName;
  }
  const key = snapshot.keys[PERIMETER_KEY];
  if (key === undefined) throw new Error(`the example no longer holds ${PERIMETER_KEY}`);
  const policy = typeof key.policy === 'string' ? (JSON.parse(key.policy) as { Statement: { Sid?: string }[] }) : key.policy;
  const deny = policy.Statement.find((s) => s.Sid === 'DenyOutsideOrganization');
  if (deny === undefined) throw new Error('the example no longer holds the DenyOutsideOrganization statement');
  deny.Sid = HOSTILE.sid;
  key.policy = policy;
  const path = join(dir, 'hostile.json');
  writeFileSync(path, JSON.stringify(snapshot, null, 2));
  return path;
}
