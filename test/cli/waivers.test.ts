import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WaiverSet } from '../../engine/waivers/waivers.js';
import { cli, resultsOf, tempDir } from '../helpers/cli.js';

const NON_COMPLIANT = 'examples/non-compliant/snapshot.json';
const ACCOUNT = '222233334444';
const trail = (name: string, region = 'us-east-1') => `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/${name}`;

interface Results {
  findings: { ruleId: string; status: string; resource: { id: string }; evidence: { waiver?: Record<string, unknown> } }[];
  waivers?: { rule: string; resource: string; state: string; findings: number; note: string; at: string }[];
  summary: { failing: number; byStatus: Record<string, number> };
}

function waiversFile(text: string): string {
  const file = join(tempDir(), 'waivers.yaml');
  writeFileSync(file, text);
  return file;
}

const entry = (rule: string, resource: string, expires = '2099-12-31', reason = 'accepted risk, tracked in SEC-1') =>
  `- rule: ${rule}\n  resource: "${resource}"\n  reason: ${reason}\n  owner: security@example.com\n  expires: ${expires}\n`;

async function checkWith(waivers: string, snapshot = NON_COMPLIANT) {
  const run = await cli(['check', snapshot, '--waivers', waivers]);
  const results = resultsOf<Results>(run.stdout);
  const status = (rule: string, id: string) => results.findings.find((f) => f.ruleId === rule && f.resource.id === id);
  return { run, results, status };
}

describe('check --waivers', () => {
  it('a matching glob waiver turns fail into waived, keeping the verdict and the waiver in the evidence', async () => {
    const before = resultsOf<Results>((await cli(['check', NON_COMPLIANT])).stdout);
    const file = waiversFile(entry('cloudtrail-key-policy-generate-data-key', `arn:aws:cloudtrail:*:${ACCOUNT}:trail/kms-star-*`));
    const { run, results, status } = await checkWith(file);
    expect(run.code).toBe(1);
    expect(status('cloudtrail-key-policy-generate-data-key', trail('kms-star-to-cloudtrail'))).toMatchObject({
      status: 'waived',
      evidence: {
        waiver: {
          reason: 'accepted risk, tracked in SEC-1',
          owner: 'security@example.com',
          expires: '2099-12-31',
          resource: `arn:aws:cloudtrail:*:${ACCOUNT}:trail/kms-star-*`,
          status: 'fail',
        },
        assertions: [expect.objectContaining({ status: 'fail' })],
      },
    });
    expect(results.summary.failing).toBe(before.summary.failing - 1);
    expect(results.summary.byStatus.waived).toBe(1);
    expect(results.waivers).toEqual([
      expect.objectContaining({ state: 'applied', findings: 1, note: 'waived 1 finding', at: `${file}:1:3` }),
    ]);
    expect(run.stderr).toMatch(/; waivers: 1 applied; \d+ failing at or above info\n$/);
  });

  it('an unknown finding can be waived too; an expired waiver does not apply and is reported', async () => {
    const file = waiversFile(
      entry('cloudtrail-key-policy-decrypt', trail('policy-not-readable', 'eu-central-1')) +
        entry('cloudtrail-sse-kms', trail('default-sse-s3'), '2020-01-01'),
    );
    const { run, results, status } = await checkWith(file);
    expect(status('cloudtrail-key-policy-decrypt', trail('policy-not-readable', 'eu-central-1'))?.status).toBe('waived');
    expect(status('cloudtrail-key-policy-decrypt', trail('policy-not-readable', 'eu-central-1'))?.evidence.waiver?.status).toBe('unknown');
    expect(status('cloudtrail-sse-kms', trail('default-sse-s3'))?.status).toBe('fail');
    expect(results.waivers?.[1]).toMatchObject({
      state: 'expired',
      findings: 1,
      note: 'it ended on 2020-01-01; the finding it matches is not waived',
    });
    expect(run.stderr).toContain(
      `${file}:6:3 warning: the waiver of cloudtrail-sse-kms for ${trail('default-sse-s3')} is expired: it ended on 2020-01-01; the finding it matches is not waived [waiver-expired]\n`,
    );
  });

  it('reports unused waivers: matching nothing, matching only passing findings, or naming a rule that did not run', async () => {
    const file = waiversFile(
      entry('cloudtrail-sse-kms', trail('no-such-trail')) +
        entry('cloudtrail-sse-kms', trail('kms-star-to-cloudtrail')) +
        entry('no-such-rule', '*'),
    );
    const { run, results } = await checkWith(file);
    expect(results.waivers?.map((w) => `${w.state}: ${w.note}`)).toEqual([
      'unused: it matches no finding',
      'unused: the finding it matches did not fail (fixed? remove the waiver)',
      'unused: no rule no-such-rule ran',
    ]);
    expect(run.stderr).toContain(
      `${file}:1:3 warning: the waiver of cloudtrail-sse-kms for ${trail('no-such-trail')} is unused: it matches no finding [waiver-unused]\n`,
    );
    expect(run.stderr).toContain('; waivers: 3 unused;');
  });

  it('waiving every failing finding makes the run pass: exit 0', async () => {
    const dir = tempDir();
    const snapshot = join(dir, 'snapshot.json');
    const arn = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/plain';
    writeFileSync(
      snapshot,
      JSON.stringify({
        schemaVersion: 1,
        account: { id: '111122223333', partition: 'aws' },
        trails: [{ Name: 'plain', TrailARN: arn, S3BucketName: 'logs' }],
        keys: {},
      }),
    );
    expect((await cli(['check', snapshot])).code).toBe(1);
    const { run, results } = await checkWith(waiversFile(entry('cloudtrail-sse-kms', arn)), snapshot);
    expect(results.summary).toMatchObject({ failing: 0, byStatus: { waived: 1, skip: 4 } });
    expect(run.code).toBe(0);
  });

  it('the HTML and Markdown reports list every waiver with its state', async () => {
    const file = waiversFile(
      entry('cloudtrail-key-policy-generate-data-key', trail('kms-star-to-cloudtrail')) +
        entry('cloudtrail-sse-kms', trail('default-sse-s3'), '2020-01-01') +
        entry('cloudtrail-sse-kms', trail('no-such-trail')),
    );
    const html = await cli(['check', NON_COMPLIANT, '--waivers', file, '--format', 'html']);
    expect(html.stdout).toContain('<h2 id="waivers">Waivers</h2>');
    expect(html.stdout.match(/<tr data-state="(applied|expired|unused)">/g)).toEqual([
      '<tr data-state="applied">',
      '<tr data-state="expired">',
      '<tr data-state="unused">',
    ]);
    expect(html.stdout).toContain('<td><strong>expired</strong>: it ended on 2020-01-01; the finding it matches is not waived</td>');
    const markdown = await cli(['check', NON_COMPLIANT, '--waivers', file, '--format', 'markdown-full']);
    expect(markdown.stdout).toContain(
      `| ${file}:11:3 | cloudtrail-sse-kms | ${trail('no-such-trail')} | **unused**: it matches no finding | security@example.com | 2099-12-31 | accepted risk, tracked in SEC-1 |`,
    );
  });

  it('a bad waivers file is reported line by line with file:line:col, exit 2, nothing written', async () => {
    const file = waiversFile(
      '- rule: cloudtrail-sse-kms\n  resource: "*"\n  reason: r\n  expires: 2026-13-01\n- rule: Bad Rule\n  resource: x\n  reason: r\n  owner: o\n  expires: 2099-01-01\n  colour: blue\n',
    );
    const out = join(tempDir(), 'out.json');
    const run = await cli(['check', NON_COMPLIANT, '--waivers', file, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${file}:1:3 [0] is missing the required property owner [waivers]`,
      `${file}:4:12 [0].expires must be a date (YYYY-MM-DD), found "2026-13-01" [waivers]`,
      `${file}:5:9 [1].rule must match ^[a-z0-9][a-z0-9-]*$, found "Bad Rule" [waivers]`,
      `${file}:10:3 [1].colour is not a known property: known properties are rule, resource, reason, owner, expires [waivers]`,
    ]);
    expect(() => readFileSync(out)).toThrow();
  });

  it('a waivers file that is not a list says so', async () => {
    const file = waiversFile('rule: cloudtrail-sse-kms\n');
    const run = await cli(['check', NON_COMPLIANT, '--waivers', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${file}:1:1 (document) must be an array, found an object [waivers]\n`);
  });
});

describe('WaiverSet', () => {
  const finding = (status: 'pass' | 'fail' | 'unknown' | 'error') => ({
    ruleId: 'r',
    severity: 'high' as const,
    resource: { id: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/a', type: 'T', account: '111122223333', region: 'us-east-1' },
    status,
    message: 'm',
    evidence: {},
  });
  const waiver = { rule: 'r', resource: 'arn:aws:cloudtrail:*:trail/a', reason: 'x', owner: 'o', at: 'w.yaml:1:3' };

  it('a waiver applies through the whole of its expiry day (UTC) and not after', () => {
    const onTheDay = new WaiverSet([{ ...waiver, expires: '2026-11-29' }], new Date('2026-11-29T23:59:59Z'), new Set(['r']));
    expect(onTheDay.apply(finding('fail')).status).toBe('waived');
    const dayAfter = new WaiverSet([{ ...waiver, expires: '2026-11-29' }], new Date('2026-11-30T00:00:00Z'), new Set(['r']));
    expect(dayAfter.apply(finding('fail')).status).toBe('fail');
    expect(dayAfter.outcomes()[0]?.state).toBe('expired');
  });

  it('never waives an error (a rule that could not be evaluated is a bug to fix) nor touches a pass', () => {
    const set = new WaiverSet([{ ...waiver, expires: '2099-01-01' }], new Date('2026-11-29T00:00:00Z'), new Set(['r']));
    expect(set.apply(finding('error')).status).toBe('error');
    expect(set.apply(finding('pass')).status).toBe('pass');
    expect(set.outcomes()[0]).toMatchObject({ state: 'unused', note: 'the findings it matches did not fail (fixed? remove the waiver)' });
  });
});
