import { createRequire } from 'node:module';
import AjvModule from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { NON_COMPLIANT, ORGANISATION, render } from './helpers.js';

// Both are CommonJS modules whose default export TypeScript sees as the module itself under NodeNext.
const Ajv = AjvModule.default;
type AddFormats = typeof import('ajv-formats').default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;
const require = createRequire(import.meta.url);
const sarifSchema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;

function validateSarif(text: string): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(sarifSchema);
  validate(JSON.parse(text));
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  kind: string;
  level: string;
  message: { text: string };
  locations: { logicalLocations: { fullyQualifiedName: string; kind: string }[] }[];
  partialFingerprints: Record<string, string>;
  properties: { status: string };
}

interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { rules: { id: string; defaultConfiguration: { level: string }; properties: Record<string, unknown> }[] } };
    results: SarifResult[];
  }[];
}

describe('SARIF', () => {
  it('is valid SARIF 2.1.0 for every example', async () => {
    expect(validateSarif(await render('sarif', NON_COMPLIANT))).toEqual([]);
    expect(validateSarif(await render('sarif', ORGANISATION))).toEqual([]);
  });

  it('the schema check is real: a result with a made-up level is rejected', async () => {
    const log = JSON.parse(await render('sarif', NON_COMPLIANT)) as SarifLog;
    const first = log.runs[0]?.results[0];
    if (first === undefined) throw new Error('no result');
    first.level = 'severe';
    expect(validateSarif(JSON.stringify(log))).toContain('/runs/0/results/0/level must be equal to one of the allowed values');
  });

  it('gives stable rule ids, levels from severity, the ARN as a logical location and a fingerprint per (rule, resource)', async () => {
    const log = JSON.parse(await render('sarif', NON_COMPLIANT)) as SarifLog;
    const run = log.runs[0];
    if (run === undefined) throw new Error('no run');
    const rules = run.tool.driver.rules;
    // The example's snapshot could not list me-south-1: trailguard's own coverage rule comes first.
    expect(rules.map((r) => r.id)).toEqual([
      'trailguard-collection-coverage',
      'cloudtrail-sse-kms',
      'cloudtrail-key-policy-describe-key',
      'cloudtrail-key-policy-generate-data-key',
      'cloudtrail-key-policy-decrypt',
      'cloudtrail-kms-key-state',
    ]);
    expect(rules[1]?.defaultConfiguration.level).toBe('error');
    expect(rules[1]?.properties['security-severity']).toBe('7.5');

    const generate = run.results.find(
      (r) => r.ruleId === 'cloudtrail-key-policy-generate-data-key' && r.message.text.startsWith('Trail kms-star-to-cloudtrail:'),
    );
    expect(generate).toMatchObject({
      ruleIndex: 3,
      kind: 'fail',
      level: 'error',
      locations: [
        {
          logicalLocations: [
            { fullyQualifiedName: 'arn:aws:cloudtrail:us-east-1:222233334444:trail/kms-star-to-cloudtrail', kind: 'resource' },
          ],
        },
      ],
    });
    // Unknown findings are for review, not failures: no level.
    const unknown = run.results.find((r) => r.properties.status === 'unknown');
    expect(unknown).toMatchObject({ kind: 'review', level: 'none' });

    // Fingerprints are unique per (rule, resource) and do not change between runs (a later "now" included).
    const fingerprints = run.results.map((r) => r.partialFingerprints['trailguardFinding/v1']);
    expect(new Set(fingerprints).size).toBe(run.results.length);
    const again = JSON.parse(await render('sarif', NON_COMPLIANT)) as SarifLog;
    expect(again.runs[0]?.results.map((r) => r.partialFingerprints['trailguardFinding/v1'])).toEqual(fingerprints);
  });
});

describe('JUnit XML', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  });

  interface TestCase {
    classname: string;
    name: string;
    failure?: { message: string; type: string; '#text': string };
    skipped?: { message: string };
  }
  interface Suites {
    testsuites: { tests: string; failures: string; skipped: string; testsuite: { name: string; tests: string; testcase: TestCase[] }[] };
  }

  it('is well-formed XML with one test case per finding; failures and skips as such, totals that add up', async () => {
    const xml = await render('junit', NON_COMPLIANT);
    expect(XMLValidator.validate(xml)).toBe(true);
    const json = JSON.parse(await render('json', NON_COMPLIANT)) as { summary: { total: number; byStatus: Record<string, number> } };
    const suites = (parser.parse(xml) as Suites).testsuites;
    const cases = suites.testsuite.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(json.summary.total);
    expect(Number(suites.tests)).toBe(json.summary.total);
    expect(Number(suites.failures)).toBe(json.summary.byStatus.fail);
    expect(Number(suites.skipped)).toBe((json.summary.byStatus.skip ?? 0) + (json.summary.byStatus.unknown ?? 0));
    expect(cases.filter((c) => c.failure !== undefined)).toHaveLength(json.summary.byStatus.fail ?? -1);

    const decrypt = cases.find((c) => c.classname === 'cloudtrail-key-policy-decrypt' && c.name.startsWith('root-only-decrypt'));
    expect(decrypt?.failure?.type).toBe('fail');
    expect(decrypt?.failure?.['#text']).toContain(
      'key.policy iam-policy fail: has no statement that grants kms:Decrypt to an IAM principal only with the CloudTrail encryption context',
    );
    const skipped = cases.find((c) => c.classname === 'cloudtrail-key-policy-describe-key' && c.name.startsWith('default-sse-s3'));
    expect(skipped?.skipped?.message).toMatch(/^skip: /);
  });

  it('counts unknown findings as failures under --fail-on-unknown, to agree with the exit code', async () => {
    const xml = await render('junit', NON_COMPLIANT, {}, { failOnUnknown: true });
    const suites = (parser.parse(xml) as Suites).testsuites;
    const unknown = suites.testsuite.flatMap((s) => s.testcase).filter((c) => c.failure?.type === 'unknown');
    expect(unknown.length).toBeGreaterThan(0);
  });
});

describe('CSV', () => {
  it('parses to one row per finding with the columns an auditor filters on', async () => {
    const rows = parseCsv(await render('csv', NON_COMPLIANT), { columns: true }) as Record<string, string>[];
    const json = JSON.parse(await render('json', NON_COMPLIANT)) as { findings: unknown[] };
    expect(rows).toHaveLength(json.findings.length);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'status',
      'severity',
      'rule_id',
      'rule_title',
      'account',
      'region',
      'resource_type',
      'resource_id',
      'resource_name',
      'message',
      'evidence',
      'fix',
      'controls',
      'waiver_reason',
      'waiver_owner',
      'waiver_expires',
      'generated_at',
      'location',
    ]);
    const row = rows.find((r) => r.rule_id === 'cloudtrail-key-policy-decrypt' && r.resource_name === 'root-only-decrypt');
    expect(row).toMatchObject({
      status: 'fail',
      severity: 'medium',
      account: '222233334444',
      region: 'us-east-1',
      generated_at: '2026-11-01T12:00:00.000Z',
      // A collected snapshot has no file line to point at.
      location: '',
    });
    expect(row?.fix).toContain('aws kms put-key-policy');
    expect(row?.controls).toContain('CCE-78919-8');
  });
});
