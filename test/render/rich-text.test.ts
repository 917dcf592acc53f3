import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { richHtml, richMarkdown } from '../../engine/render/rich-text.js';
import { cli, tempDir } from '../helpers/cli.js';

/** A rule text as someone hostile (or careless) might write it: raw HTML, script links, an image, backticks. */
const HOSTILE_TEXT = [
  'Grants `kms:*` **only** to <script>alert(1)</script> the [docs](https://docs.aws.amazon.com/kms/) and',
  '[a trap](javascript:alert(1)), [plain http](http://example.com/x), ![tracker](https://evil.example/pixel.png)',
  '<img src=x onerror=alert(2)> | pipe & ampersand `` a`b `` _under_ *em*',
  '',
  '- one item with `code`',
  '- two <b>items</b>',
  '',
  '```json',
  '{ "Sid": "x```" }',
  '```',
].join('\n');

const INJECTED = /<(script|img|iframe|svg|b)\b|href="(?!https:|#[a-z][a-z0-9-]*")/i;

describe('rule texts are Markdown, rendered with everything in them escaped', () => {
  it('HTML: code, emphasis, lists and https links take effect; raw HTML, images and other links stay text', () => {
    const html = richHtml(HOSTILE_TEXT);
    expect(html).not.toMatch(INJECTED);
    expect(html).toContain('<code>kms:*</code> <strong>only</strong> to &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<a href="https://docs.aws.amazon.com/kms/">docs</a>');
    expect(html).toContain('[a trap](javascript:alert(1))');
    expect(html).toContain('[plain http](http://example.com/x)');
    // An image is at most a link: nothing is loaded.
    expect(html).not.toContain('<img');
    expect(html).toContain('<li>two &lt;b&gt;items&lt;/b&gt;</li>');
    expect(html).toContain('<pre><code class="language-json">{ &quot;Sid&quot;: &quot;x```&quot; }\n</code></pre>');
  });

  it('HTML: a lead-in is set in bold at the start of the first paragraph, escaped', () => {
    expect(richHtml('Because.', 'Why <it> matters.')).toBe('<p><strong>Why &lt;it&gt; matters.</strong> Because.</p>\n');
    expect(richHtml('- a list first', 'Lead.')).toBe('<p><strong>Lead.</strong></p>\n<ul>\n<li>a list first</li>\n</ul>\n');
  });

  it('Markdown: the same structure, and a parser with raw HTML on makes nothing more of it', () => {
    const markdown = richMarkdown(HOSTILE_TEXT);
    const html = new MarkdownIt({ html: true }).render(markdown);
    expect(html).not.toMatch(INJECTED);
    expect(html).toContain('<code>kms:*</code> <strong>only</strong> to &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<a href="https://docs.aws.amazon.com/kms/">docs</a>');
    expect(html).toContain('<li>one item with <code>code</code></li>');
    expect(html).toContain('<em>under</em>');
    // The code block keeps its text: the fence is longer than any backtick run inside.
    const fence = new MarkdownIt().parse(markdown, {}).find((t) => t.type === 'fence');
    expect(fence?.content).toBe('{ "Sid": "x```" }\n');
    expect(fence?.info).toBe('json');
  });

  it('Markdown: a code span holding backticks, and text that looks like Markdown, survive a round trip', () => {
    const html = new MarkdownIt().render(richMarkdown('use `` a`b `` and 1. not a list | nor a table'));
    expect(html).toBe('<p>use <code>a`b</code> and 1. not a list | nor a table</p>\n');
  });
});

describe('a custom pack with hostile rule texts', () => {
  it('renders them escaped in the HTML and Markdown reports', async () => {
    const dir = tempDir();
    const pack = join(dir, 'pack');
    mkdirSync(pack);
    writeFileSync(join(pack, 'pack.yaml'), 'name: hostile-texts\nversion: 1.0.0\nrules: [trail-named]\n');
    writeFileSync(
      join(pack, 'trail-named.yaml'),
      [
        'id: trail-named',
        'title: Every trail has a name',
        'severity: low',
        `description: ${JSON.stringify(HOSTILE_TEXT)}`,
        `remediation: ${JSON.stringify('Run `aws cloudtrail update-trail`. <iframe src="javascript:alert(3)"></iframe>')}`,
        'resources: { path: "$.trails.*", id: $.TrailARN, name: $.Name, type: "AWS::CloudTrail::Trail" }',
        'assert:',
        '  - { path: $.Name, op: exists }',
      ].join('\n'),
    );
    const args = ['check', 'examples/compliant/snapshot.json', '--rules', pack, '--no-builtin'];
    const html = await cli([...args, '--format', 'html']);
    expect(html.code).toBe(0);
    expect(html.stdout).not.toMatch(INJECTED);
    expect(html.stdout).toContain('<strong>Remediation.</strong> Run <code>aws cloudtrail update-trail</code>. &lt;iframe');
    const markdown = await cli([...args, '--format', 'markdown-full']);
    expect(markdown.code).toBe(0);
    const rendered = new MarkdownIt({ html: true }).render(markdown.stdout);
    expect(rendered).not.toMatch(INJECTED);
    expect(rendered).toContain('Run <code>aws cloudtrail update-trail</code>. &lt;iframe');
  });
});
