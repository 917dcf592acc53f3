import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../../engine/explain.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NON_COMPLIANT = join(ROOT, 'examples', 'non-compliant', 'snapshot.json');
const COMPLIANT = join(ROOT, 'examples', 'compliant', 'snapshot.json');

/** Every request a check evaluated, each statement's verdict element by element, and where each value came from. */
async function trace(snapshot: string, rule: string, resource: string) {
  const e = await explain({ snapshots: [snapshot], rule, resource });
  // Where each value came from is the same for most requests of one check: each origin is kept once, where it first shows.
  const seen = new Map<string, string>();
  const lean = (origins: Readonly<Record<string, string>> | undefined) =>
    Object.fromEntries(
      Object.entries(origins ?? {}).filter(([key, origin]) => {
        if (seen.get(key) === origin) return false;
        seen.set(key, origin);
        return true;
      }),
    );
  return {
    verdict: `${e.finding.status}: ${e.finding.message}`,
    steps: e.steps.map((s) => ({ evidence: s.evidence, requests: s.requests.map((r) => ({ ...r, origins: lean(r.origins) })) })),
  };
}

describe('policy traces (a reviewed golden file: what explain shows for each kind of verdict)', () => {
  it('matches test/engine/iam/traces.golden.json', async () => {
    const cases = {
      'decrypt, perimeter Deny on an unrecorded organisation (unknown, every case tried)': await trace(
        NON_COMPLIANT,
        'cloudtrail-key-policy-decrypt',
        'perimeter-deny',
      ),
      'decrypt, only the root delegation (fail)': await trace(NON_COMPLIANT, 'cloudtrail-key-policy-decrypt', 'root-only-decrypt'),
      'generate-data-key, kms:* to CloudTrail (fail: leaks to another account)': await trace(
        NON_COMPLIANT,
        'cloudtrail-key-policy-generate-data-key',
        'kms-star-to-cloudtrail',
      ),
      'describe-key, AWS managed key (fail: no grant, closest statement)': await trace(
        NON_COMPLIANT,
        'cloudtrail-key-policy-describe-key',
        'aws-managed-key',
      ),
      'generate-data-key, console policy (pass, probes confined)': await trace(
        COMPLIANT,
        'cloudtrail-key-policy-generate-data-key',
        'management-events',
      ),
    };
    // Paths are made relative so the file is the same on every machine.
    const text = JSON.stringify(cases, null, 2).replaceAll(ROOT, '<root>');
    await expect(`${text}\n`).toMatchFileSnapshot('traces.golden.json');
  });
});
