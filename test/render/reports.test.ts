import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { COMPLIANT, NON_COMPLIANT, ORGANISATION, render } from './helpers.js';

describe('report file snapshots', () => {
  it.each([
    ['non-compliant', NON_COMPLIANT],
    ['organisation', ORGANISATION],
    ['compliant', COMPLIANT],
  ])('Markdown and HTML for the %s example', async (name, snapshots) => {
    await expect(await render('markdown-full', snapshots)).toMatchFileSnapshot(`__snapshots__/${name}.md`);
    await expect(await render('html', snapshots)).toMatchFileSnapshot(`__snapshots__/${name}.html`);
  });
});

describe('the built-in templates', () => {
  it.each(['report.html.hbs', 'report.md.hbs'])('%s prints nothing unescaped: no triple-stash', (file) => {
    const source = readFileSync(join(ROOT, 'templates', file), 'utf8');
    expect(source).not.toContain('{{{');
    expect(source).not.toMatch(/\{\{&/);
  });
});

describe('the HTML report', () => {
  it('is self-contained: no external scripts, styles, fonts or images, and no script at all', async () => {
    const html = await render('html', NON_COMPLIANT);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    expect(html).toContain('<style>');
  });

  it('shows the statement that blocked a request as JSON, and the filled-in fix', async () => {
    const html = await render('html', NON_COMPLIANT);
    expect(html).toContain('<a href="#policy-3-s4">Statement[4] (Sid &quot;DenyOutsideOrganization&quot;)</a> — denies the request');
    // The statement itself is printed once, in the key-policy appendix, where the link lands.
    expect(html).toMatch(
      /<p class="meta" id="policy-3-s4">Statement\[4\]<\/p><pre class="statement">\{\n {2}&quot;Sid&quot;: &quot;DenyOutsideOrganization&quot;/,
    );
    expect(html).toContain(
      'aws kms put-key-policy --region us-east-1 --key-id arn:aws:kms:us-east-1:222233334444:key/1d4b2f6a-0000-4000-8000-00000000a001',
    );
    expect(html).toContain('&quot;aws:SourceArn&quot;: &quot;arn:aws:cloudtrail:us-east-1:222233334444:trail/kms-star-to-cloudtrail&quot;');
  });

  it('makes the incomplete coverage stand out, and says when coverage is complete', async () => {
    expect(await render('html', NON_COMPLIANT)).toContain(
      '<div class="warning" id="incomplete"><strong>Coverage is incomplete:</strong> 3 API call(s) failed',
    );
    expect(await render('html', COMPLIANT)).toContain('Coverage is complete');
  });

  it.each([
    ['compliant', COMPLIANT],
    ['non-compliant', NON_COMPLIANT],
  ])('for the %s example links only https references and its own sections, and every internal link lands', async (_, snapshots) => {
    const html = await render('html', snapshots);
    const hrefs = html.match(/href="[^"]*"/g) ?? [];
    for (const href of hrefs)
      expect(href).toMatch(
        /^href="(https:\/\/|#policy-\d+(-s\d+)?"|#(finding-\d+-\d+|resource-\d+|fix-\d+|key-fix-\d+|rule-[a-z0-9-]+|matrix|findings|key-fixes|summary|scope|passing|waived|waivers|about-rules|policies)")/,
      );
    // Every internal link lands on an element of the report.
    for (const [, anchor] of html.matchAll(/href="#([^"]+)"/g)) expect(html).toContain(`id="${anchor}"`);
    expect(hrefs.filter((h) => h.startsWith('href="#'))).not.toHaveLength(0);
  });
});
