import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedSnapshot } from '../../engine/snapshot/types.js';
import { byRule, ENABLED_KEY_METADATA, KEY_ARN, runBuiltIn, snapshot, trail } from '../helpers/engine.js';

interface CorpusCase {
  readonly title: string;
  readonly source?: string;
  readonly policy: unknown;
  /** Snapshot fields besides the trail and the key (`organization`, `collectedAt`), merged over the defaults. */
  readonly snapshot?: Readonly<Record<string, unknown>>;
  /** Key entry fields besides the policy (`tags`, `metadata`), merged over the defaults. */
  readonly key?: Readonly<Record<string, unknown>>;
  readonly expect: Readonly<Record<string, string>>;
  readonly messages?: Readonly<Record<string, string>>;
}

/** When the corpus snapshots were taken: aws:CurrentTime for date conditions. */
const COLLECTED_AT = '2026-11-30T12:00:00Z';

const folder = join(import.meta.dirname, '..', 'corpus', 'key-policies');
const cases = readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(join(folder, f), 'utf8')) as CorpusCase) }));

describe('real-world key policy corpus (test/corpus/key-policies)', () => {
  it('holds the policies the design names', () => {
    const names = cases.map((c) => c.name);
    for (const required of ['cis-three-statements', 'aws-doc-source-arn', 'console-created']) expect(names).toContain(required);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name: $title', async (c) => {
    const findings = await findingsFor(c);
    const verdicts = Object.fromEntries(Object.keys(c.expect).map((rule) => [rule, findings[rule]?.status]));
    expect(verdicts).toEqual(c.expect);
    // The explanation is in the message (fail) or the evidence's reason (pass messages stay short).
    for (const [rule, text] of Object.entries(c.messages ?? {})) {
      const finding = findings[rule];
      const explained = [finding?.message, ...(finding?.evidence.assertions ?? []).map((a) => a.reason)].join('\n');
      expect(explained).toContain(text);
    }
    // The SSE-KMS and key-state verdicts do not depend on the policy.
    expect(findings['cloudtrail-sse-kms']?.status).toBe('pass');
    expect(findings['cloudtrail-kms-key-state']?.status).toBe('pass');
  });
});

/** The built-in pack's findings on the case's trail: its policy on the key, with the case's snapshot and key fields. */
async function findingsFor(c: CorpusCase) {
  const loaded = snapshot({
    collectedAt: COLLECTED_AT,
    trails: [trail()],
    keys: { [KEY_ARN]: { metadata: ENABLED_KEY_METADATA, policy: c.policy, error: null, ...c.key } },
    ...c.snapshot,
  });
  // A case sets a snapshot field to null to leave it out (a snapshot without collectedAt); organization: null is data.
  const document = Object.fromEntries(Object.entries(loaded.document).filter(([k, v]) => v !== null || k === 'organization'));
  return byRule(await runBuiltIn([{ ...loaded, document: document as unknown as LoadedSnapshot['document'] }]));
}

describe('the corpus verdicts in full (a reviewed golden file: every reason, statement and probe)', () => {
  it('matches test/corpus/key-policies.verdicts.json', async () => {
    const all: Record<string, unknown> = {};
    for (const c of cases) {
      const findings = await findingsFor(c);
      all[c.name] = Object.fromEntries(
        Object.entries(findings)
          .filter(([rule]) => rule.startsWith('cloudtrail-key-policy-'))
          .map(([rule, f]) => [rule, { status: f.status, message: f.message, details: f.evidence.assertions?.[0]?.details ?? null }]),
      );
    }
    await expect(`${JSON.stringify(all, null, 2)}\n`).toMatchFileSnapshot('../corpus/key-policies.verdicts.json');
  });
});
