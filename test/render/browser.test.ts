import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_INSTALL, CHROMIUM_REQUIRED, chromiumPath, launchChromium } from '../helpers/chromium.js';
import { cli, tempDir } from '../helpers/cli.js';
import { NON_COMPLIANT, ORGANISATION } from './helpers.js';
import { HOSTILE, writeHostileSnapshot } from './hostile.js';

const executable = chromiumPath();
if (executable === undefined && !CHROMIUM_REQUIRED) {
  console.warn(`skipping the headless Chromium report test: chromium is not installed (${CHROMIUM_INSTALL})`);
}
if (executable === undefined && CHROMIUM_REQUIRED) {
  describe('the HTML report in headless Chromium under CI=true', () => {
    it('needs chromium', () => {
      throw new Error(`chromium is required when CI=true: ${CHROMIUM_INSTALL}`);
    });
  });
}

interface Summary {
  total: number;
  failing: number;
  byStatus: Record<string, number>;
}

/** Writes the HTML report and the JSON results of the same snapshots; returns the report's path and the summary. */
async function report(dir: string, name: string, snapshots: readonly string[]): Promise<{ html: string; summary: Summary }> {
  const html = join(dir, `${name}.html`);
  const json = join(dir, `${name}.results.json`);
  await cli(['check', ...snapshots, '--format', 'json', '--out', json, '--quiet']);
  const render = await cli(['render', json, '--format', 'html', '--out', html]);
  expect(render.stderr).toBe('');
  return { html, summary: (JSON.parse(readFileSync(json, 'utf8')) as { summary: Summary }).summary };
}

/** What a page did besides rendering: every request it made and every error it logged. */
interface Opened {
  readonly page: Page;
  readonly requests: string[];
  readonly errors: string[];
}

describe.runIf(executable !== undefined)('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await launchChromium(executable as string);
    dir = tempDir();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a file with JavaScript off, the way a cautious auditor would. */
  async function open(file: string): Promise<Opened> {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(5_000);
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    return { page, requests, errors };
  }

  it('shows the summary numbers and a failing finding with its statement and fix, loads nothing else, logs no error, and prints to PDF', async () => {
    const { html, summary } = await report(dir, 'non-compliant', NON_COMPLIANT);
    const { page, requests, errors } = await open(html);

    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(await page.locator('#summary + p').innerText()).toBe(`${summary.failing} failing finding(s) of ${summary.total}.`);
    // A row per status that occurs, with its count.
    const shown = Object.entries(summary.byStatus).filter(([, count]) => count > 0);
    expect(shown.length).toBeGreaterThan(2);
    expect(await page.locator('#summary-status td[data-status]').count()).toBe(shown.length);
    for (const [status, count] of shown) {
      expect(await page.locator(`#summary-status td[data-status="${status}"]`).innerText()).toBe(String(count));
    }

    const finding = page.locator('#rule-cloudtrail-key-policy-decrypt article[data-status="fail"]', { hasText: 'root-only-decrypt' });
    await expect.poll(() => finding.isVisible()).toBe(true);
    const text = await finding.innerText();
    expect(text).toContain('has no statement that grants kms:Decrypt to an IAM principal only with the CloudTrail encryption context');
    expect(text).toContain('Statement[0] (Sid "Enable IAM User Permissions") — allows the request');
    expect(text).toContain('"Action": "kms:*"');
    expect(text).toContain(
      'aws kms put-key-policy --region us-east-1 --key-id arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a002',
    );

    // Passing rows are collapsed on screen, and open without JavaScript.
    const settled = page.locator('#rule-cloudtrail-sse-kms details.settled');
    const passingRow = settled.locator('tbody tr').first();
    expect(await passingRow.isVisible()).toBe(false);
    await settled.locator('summary').click();
    expect(await passingRow.isVisible()).toBe(true);
    await settled.locator('summary').click();

    // Printed, everything is shown: collapsed rows included.
    await page.emulateMedia({ media: 'print' });
    expect(await passingRow.isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(20_000);

    expect(errors).toEqual([]);
  }, 60_000);

  it('opens on the verdict and the resources needing attention, above the fold; each cell links to its finding', async () => {
    const { html, summary } = await report(dir, 'non-compliant-top', NON_COMPLIANT);
    const { page, errors } = await open(html);
    const fold = 900;
    const verdict = page.locator('#verdict');
    expect(await verdict.innerText()).toContain(`Fails: ${summary.failing} finding(s) fail the run (fail or error at or above info)`);
    const box = await verdict.boundingBox();
    expect(box !== null && box.y + box.height <= fold).toBe(true);
    const matrix = page.locator('#matrix-table');
    const top = await matrix.boundingBox();
    expect(top !== null && top.y < fold).toBe(true);
    // Failing trails first: the first row has a fail.
    const firstRow = matrix.locator('tbody tr').first();
    expect(await firstRow.locator('.status.fail').count()).toBeGreaterThan(0);
    // Every linked cell lands on an element that is that finding, with the same status.
    const links = await matrix.locator('a[href^="#finding-"]').evaluateAll((as) =>
      as.map((a) => {
        const target = a.ownerDocument.getElementById((a.getAttribute('href') ?? '').slice(1));
        return {
          status: a.textContent,
          target: target?.getAttribute('data-status') ?? target?.querySelector('.status')?.textContent ?? null,
        };
      }),
    );
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect(link.target).toBe(link.status);
    expect(errors).toEqual([]);
  }, 60_000);

  it('for the example organisation, shows every trail with its verdict', async () => {
    const { html, summary } = await report(dir, 'organisation', ORGANISATION);
    const { page, errors } = await open(html);
    const rows = page.locator('details.settled tbody tr, article.finding');
    expect(await rows.count()).toBe(summary.total);
    expect(await page.locator('#summary-status td[data-status="pass"]').innerText()).toBe(String(summary.byStatus.pass));

    // Every passing row of a key-policy rule links to the statement that proves it, and the link lands on it.
    const policyRows = page.locator('section[id^="rule-cloudtrail-key-policy-"] details.settled tbody tr');
    expect(await policyRows.count()).toBe(6);
    for (const row of await policyRows.all()) expect(await row.locator('a[href^="#policy-"]').count()).toBeGreaterThan(0);
    const targets = await page
      .locator('a[href^="#policy-"]')
      .evaluateAll((links) =>
        links.map((a) => a.ownerDocument.getElementById((a.getAttribute('href') ?? '').slice(1))?.nextElementSibling?.textContent ?? null),
      );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(target).toMatch(/^\{\n {2}"Sid"|^\{\n {2}"Effect"/);
    // The member could not read the log-archive key's policy, but the log-archive snapshot holds it.
    expect(await page.locator('#incomplete').count()).toBe(0);
    expect(await page.locator('#complete').innerText()).toBe(
      'Coverage is complete: every API call that failed (1) would have read data that another snapshot holds.',
    );
    expect(await page.locator('#collection-errors tbody td').last().innerText()).toBe(
      'held by examples/organisation/log-archive-snapshot.json',
    );
    expect(errors).toEqual([]);
  }, 60_000);

  it('turns hostile names and Sids into text, never into elements', async () => {
    const snapshot = writeHostileSnapshot(dir);
    const { html } = await report(dir, 'hostile', [snapshot]);
    const { page, requests, errors } = await open(html);
    expect(await page.locator('script, img, iframe, svg, object, embed').count()).toBe(0);
    expect(requests).toEqual([pathToFileURL(html).href]);
    const names = await page.locator('article.finding header strong').allTextContents();
    expect(names).toContain(HOSTILE.trailName);
    expect(await page.locator('pre.statement', { hasText: HOSTILE.sid }).count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
