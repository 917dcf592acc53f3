import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import MarkdownIt from 'markdown-it';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, resultsOf, tempDir } from '../helpers/cli.js';
import { render } from './helpers.js';
import { HOSTILE, writeHostileSnapshot } from './hostile.js';

/** Markup the hostile strings would inject if they were not escaped; the built-in templates write none of it. */
const INJECTED = /<(script|img|iframe|svg)\b|href="(?!https:|#[a-z][a-z0-9-]*")/i;

interface ResultsFile {
  findings: { ruleId: string; status: string; resource: { id: string; name?: string }; evidence: Record<string, unknown> }[];
  summary: { failing: number; byStatus: Record<string, number> };
}

let dir: string;
let snapshot: string;
/** Results of the hostile snapshot with one failing finding waived by a hostile waiver. */
let waivedResults: string;

beforeAll(async () => {
  dir = tempDir();
  snapshot = writeHostileSnapshot(dir);
  const json = join(dir, 'results.json');
  const run = await cli(['check', snapshot, '--format', 'json', '--out', json]);
  expect(run.code).toBe(1);
  const results = resultsOf<ResultsFile>(readFileSync(json, 'utf8'));
  const finding = results.findings.find((f) => f.status === 'fail' && f.resource.name === HOSTILE.trailName);
  if (finding === undefined) throw new Error('no failing finding for the hostile trail');
  // A real waivers file (JSON is YAML) carrying the hostile strings, applied by check itself.
  const waivers = join(dir, 'waivers.yaml');
  const waiver = { rule: finding.ruleId, reason: HOSTILE.reason, owner: HOSTILE.owner, expires: '2099-01-31' };
  writeFileSync(
    waivers,
    JSON.stringify([
      { ...waiver, resource: `${finding.resource.id}*` },
      { ...waiver, resource: HOSTILE.reason },
    ]),
  );
  waivedResults = join(dir, 'waived.json');
  const waived = await cli(['check', snapshot, '--waivers', waivers, '--format', 'json', '--out', waivedResults]);
  expect(waived.stderr).toContain('waivers: 1 applied, 1 unused');
  const after = resultsOf<ResultsFile>(readFileSync(waivedResults, 'utf8'));
  expect(after.summary.failing).toBe(results.summary.failing - 1);
  expect(after.findings.find((f) => f.ruleId === finding.ruleId && f.resource.id === finding.resource.id)?.status).toBe('waived');
});

async function rendered(format: string): Promise<string> {
  const run = await cli(['render', waivedResults, '--format', format]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('hostile trail names, bucket names, statement Sids and waivers', () => {
  it('HTML: every one is escaped, none becomes markup', async () => {
    for (const html of [await render('html', [snapshot]), await rendered('html')]) {
      expect(html).not.toMatch(INJECTED);
      expect(html).toContain('&lt;script&gt;alert(&quot;trail&quot;)&lt;/script&gt; | &#x60;tick&#x60; **bold**');
      expect(html).toContain('&lt;/code&gt;&lt;/pre&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
      // The bucket name reaches the report in the request evaluated (the S3 encryption context).
      expect(html).toContain('arn:aws:s3:::\\&quot;&gt;&lt;svg onload&#x3D;alert(1)&gt;|&#x60;b&#x60;/AWSLogs/');
    }
    const waived = await rendered('html');
    expect(waived).toContain('<dt>Reason</dt><dd>&lt;iframe src&#x3D;&quot;javascript:alert(1)&quot;&gt;&lt;/iframe&gt; | reason</dd>');
    expect(waived).toContain('<dt>Owner</dt><dd>+cmd|&quot; /C calc&quot;!A0</dd>');
  });

  it('Markdown: rendered by a CommonMark/GFM parser with raw HTML on, no data becomes markup and every table keeps its columns', async () => {
    const markdown = await rendered('markdown-full');
    const parser = new MarkdownIt({ html: true });
    const html = parser.render(markdown);
    expect(html).not.toMatch(INJECTED);
    expect(html).not.toContain('<strong>bold</strong>');
    expect(html).toContain('&lt;script&gt;alert(&quot;trail&quot;)&lt;/script&gt; | `tick` **bold**<br>second line');
    expect(html).toContain(
      'reason: &lt;iframe src=&quot;javascript:alert(1)&quot;&gt;&lt;/iframe&gt; | reason; owner: +cmd|&quot; /C calc&quot;!A0',
    );

    // Every row of every table has as many cells as its header.
    let header = 0;
    let cells = 0;
    let rows = 0;
    for (const token of parser.parse(markdown, {})) {
      if (token.type === 'thead_open') header = -1;
      if (token.type === 'tr_open') cells = 0;
      if (token.type === 'th_open' || token.type === 'td_open') cells += 1;
      if (token.type === 'tr_close') {
        if (header === -1) header = cells;
        else {
          expect(cells).toBe(header);
          rows += 1;
        }
      }
    }
    expect(rows).toBeGreaterThan(10);

    // The Sid with backticks stays inside its JSON code block: the block's text is the statement, parsable as JSON.
    const blocks = parser.parse(markdown, {}).filter((t) => t.type === 'fence' && t.info === 'json');
    const withSid = blocks.filter((t) => t.content.includes(HOSTILE.sid.replaceAll('"', '\\"')));
    expect(withSid.length).toBeGreaterThan(0);
    for (const block of withSid) expect(() => JSON.parse(block.content) as unknown).not.toThrow();
  });

  it('CSV: cells a spreadsheet would run as formulas are neutralised; the rest survive unchanged', async () => {
    const rows = parseCsv(await rendered('csv'), { columns: true }) as Record<string, string>[];
    expect(rows.filter((r) => r.resource_name === HOSTILE.trailName)).not.toHaveLength(0);
    expect(rows.filter((r) => r.resource_name === `'${HOSTILE.formulaName}`)).not.toHaveLength(0);
    expect(rows.filter((r) => r.message?.startsWith(`Trail ${HOSTILE.formulaName}:`))).not.toHaveLength(0);
    const waived = rows.find((r) => r.status === 'waived');
    expect(waived).toMatchObject({ waiver_reason: HOSTILE.reason, waiver_owner: `'${HOSTILE.owner}`, waiver_expires: '2099-01-31' });
    for (const r of rows) for (const cell of Object.values(r)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('SARIF and JUnit: the data parses back unchanged; the waiver is a suppression, the waived case a skip', async () => {
    const sarif = JSON.parse(await rendered('sarif')) as {
      runs: { results: { suppressions?: { justification: string }[]; locations: { logicalLocations: { name: string }[] }[] }[] }[];
    };
    const suppressed = sarif.runs[0]?.results.filter((r) => r.suppressions !== undefined) ?? [];
    expect(suppressed.map((r) => [r.suppressions?.[0]?.justification, r.locations[0]?.logicalLocations[0]?.name])).toEqual([
      [HOSTILE.reason, HOSTILE.trailName],
    ]);

    const xml = await rendered('junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => ['testsuite', 'testcase'].includes(n),
    }).parse(xml) as { testsuites: { testsuite: { testcase: { name: string; skipped?: { message: string } }[] }[] } };
    const cases = parsed.testsuites.testsuite.flatMap((s) => s.testcase).filter((c) => c.name.startsWith(HOSTILE.trailName.slice(0, 20)));
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.map((c) => c.name.slice(0, HOSTILE.trailName.length))).toContain(HOSTILE.trailName);
    expect(cases.some((c) => c.skipped?.message.startsWith('waived: '))).toBe(true);
  });
});
