import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate-snapshot.js';
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

/** How many A4 pages the page prints to, as Chromium's print to PDF lays it out. */
async function pdfPages(page: Page): Promise<number> {
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) ?? []).length;
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
    // Loading is not what is tested here (npm run bench times it): the timeout only stops a page that never loads,
    // and a 14 MB page on a loaded two-core CI machine can take more than the 5 s each step inside it gets.
    await page.goto(pathToFileURL(file).href, { timeout: 60_000 });
    return { page, requests, errors };
  }

  it("groups a trail's problems with its fix, links each statement to the appendix, loads nothing else, and prints to at most 10 A4 pages", async () => {
    const { html, summary } = await report(dir, 'non-compliant', NON_COMPLIANT);
    const { page, requests, errors } = await open(html);

    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(await page.locator('#summary + p').innerText()).toBe(`${summary.failing} failing finding(s) of ${summary.total}.`);
    // The verdict box counts each status that occurs.
    const shown = Object.entries(summary.byStatus).filter(([, count]) => count > 0);
    expect(shown.length).toBeGreaterThan(2);
    expect(await page.locator('#counts [data-status]').count()).toBe(shown.length);
    for (const [status, count] of shown) {
      expect(await page.locator(`#counts [data-status="${status}"]`).getAttribute('data-count')).toBe(String(count));
    }

    // One trail's section: its failing finding, the statement that decided it (a link into the appendix), its fix.
    const section = page.locator('section.resource', { has: page.locator('h3', { hasText: /^root-only-decrypt$/ }) });
    const finding = section.locator('article[data-status="fail"]');
    await expect.poll(() => finding.isVisible()).toBe(true);
    const text = ((await finding.textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text).toContain('has no statement that grants kms:Decrypt to an IAM principal only with the CloudTrail encryption context');
    expect(text).toContain('Statement[0] (Sid "Enable IAM User Permissions") — allows the request');
    const link = finding.locator('a', { hasText: 'Statement[0] (Sid "Enable IAM User Permissions")' });
    const target = (await link.getAttribute('href'))?.slice(1) ?? '';
    // (Read as text: sections out of view are not laid out, content-visibility: auto, so have no innerText.)
    expect(await page.locator(`[id="${target}"] + pre.statement`).textContent()).toContain('"Action": "kms:*"');
    // The trail's fix points at its key's combined fix, which holds the statement, the command and how to prove it.
    const keyFix = (await section.locator('.fix a').getAttribute('href'))?.slice(1) ?? '';
    const combined = (await page.locator(`[id="${keyFix}"]`).textContent()) ?? '';
    expect(combined).toContain(
      'aws kms put-key-policy --region us-east-1 --key-id arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a002',
    );
    expect(combined).toContain('"Sid": "Enable CloudTrail log decrypt permissions"');
    expect(combined).toContain('trailguard fix examples/non-compliant/snapshot.json --out-dir fixes');
    // Three rules that cannot judge an unreadable policy are one problem, their AccessDenied text printed once.
    const unreadable = page.locator('section.resource', { has: page.locator('h3', { hasText: /^policy-not-readable$/ }) });
    expect(await unreadable.locator('article').count()).toBe(1);
    expect(((await unreadable.textContent())?.match(/AccessDeniedException/g) ?? []).length).toBe(1);

    // On paper: at most 10 A4 pages (it was 34 before the layout was reworked).
    expect(await pdfPages(page)).toBeLessThanOrEqual(10);
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

  it('for the example organisation, lists every passing trail compactly with links to the statements that prove it, and prints to at most 3 A4 pages', async () => {
    const { html, summary } = await report(dir, 'organisation', ORGANISATION);
    const { page, errors } = await open(html);
    expect(summary.failing).toBe(0);
    const rows = page.locator('#passing-table tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await page.locator('#counts [data-status="pass"]').getAttribute('data-count')).toBe(String(summary.byStatus.pass));
    // Each row has a pass per rule; the key-policy rules link to the statements that decided them.
    for (const row of await rows.all()) {
      expect(await row.locator('td.pass').count()).toBe(5);
      expect(await row.locator('td.pass a[href^="#policy-"]').count()).toBeGreaterThanOrEqual(3);
    }
    const targets = await page
      .locator('#passing-table a[href^="#policy-"][href*="-s"]')
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
    expect(await pdfPages(page)).toBeLessThanOrEqual(3);
    expect(errors).toEqual([]);
  }, 60_000);

  it('at 10k trails the report stays under 15 MB and lays out only what is in view (its open time is in npm run bench)', async () => {
    const snapshot = join(dir, 'snapshot-10k.json');
    await generateSnapshot(snapshot, 10_000);
    const html = join(dir, '10k.html');
    const run = await cli(['check', snapshot, '--format', 'html', '--out', html, '--quiet']);
    expect(run.code).toBe(1);
    expect(statSync(html).size).toBeLessThan(15_000_000);
    const { page, errors } = await open(html);
    // Long tables come in pieces that are laid out only in view; sections too.
    const pieces = await page.locator('#passing-table div.rows').count();
    expect(pieces).toBeGreaterThan(10);
    const styles = await Promise.all(
      ['#passing-table div.rows', 'section.resource', 'section.policy'].map((selector) =>
        page
          .locator(selector)
          .first()
          .evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).contentVisibility),
      ),
    );
    expect(styles).toEqual(['auto', 'auto', 'auto']);
    // Failing trails first, each linking to its section, and one combined fix per key that all its trails link to.
    expect(await page.locator('#matrix-table tbody tr').count()).toBeGreaterThan(1000);
    const keyFixes = await page.locator('section.key-fix').count();
    expect(keyFixes).toBeGreaterThan(100);
    expect(await page.locator('section.resource .fix a[href^="#key-fix-"]').count()).toBeGreaterThan(keyFixes * 5);
    expect(errors).toEqual([]);
  }, 120_000);

  it('turns hostile names and Sids into text, never into elements', async () => {
    const snapshot = writeHostileSnapshot(dir);
    const { html } = await report(dir, 'hostile', [snapshot]);
    const { page, requests, errors } = await open(html);
    expect(await page.locator('script, img, iframe, svg, object, embed').count()).toBe(0);
    expect(requests).toEqual([pathToFileURL(html).href]);
    const names = await page.locator('section.resource > h3').allTextContents();
    expect(names).toContain(HOSTILE.trailName);
    expect(await page.locator('pre.statement', { hasText: HOSTILE.sid }).count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
