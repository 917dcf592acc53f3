import { createRequire } from 'node:module';
import type { MarkdownIt, default as MarkdownItConstructor, Token } from 'markdown-it';
import { escapeMarkdown, fencedBlock } from '../core/markdown-text.js';

/**
 * Rule texts (description, rationale, audit, remediation) are Markdown written by whoever wrote the rule file, which
 * is untrusted: they are parsed by markdown-it with raw HTML off, no images (a report loads nothing), and links only
 * to https URLs; everything else stays text. HTML reports get markdown-it's own escaped HTML; Markdown reports get the
 * same tokens written back as Markdown whose every text is escaped, so the reader's parser makes nothing more of it.
 * markdown-it is loaded on first use: most runs write JSON.
 */
let parser: MarkdownIt | undefined;
function markdown(): MarkdownIt {
  if (parser === undefined) {
    const Constructor = createRequire(import.meta.url)('markdown-it') as typeof MarkdownItConstructor;
    parser = new Constructor('commonmark', { html: false, linkify: false, typographer: false });
    parser.disable(['image', 'html_block', 'html_inline']);
    parser.validateLink = (url: string) => /^https:\/\/[^\s"'<>]+$/i.test(url);
  }
  return parser;
}

/**
 * A rule text as HTML: Markdown rendered, everything it holds escaped. A `lead` (such as "Why it matters.") is set in
 * bold at the start of its first paragraph.
 */
export function richHtml(text: unknown, lead?: string): string {
  const html = markdown().render(String(text ?? ''));
  if (lead === undefined) return html;
  const label = `<strong>${markdown().utils.escapeHtml(lead)}</strong>`;
  return html.startsWith('<p>') ? `<p>${label} ${html.slice(3)}` : `<p>${label}</p>\n${html}`;
}

/** A rule text as Markdown for a report: the same structure, every text escaped, only https links kept. */
export function richMarkdown(text: unknown): string {
  let out = '';
  // List items follow each other on the next line; other blocks are paragraphs apart.
  let afterItem = false;
  const push = (block: string, item: boolean) => {
    out += out === '' ? block : `${item && afterItem ? '\n' : '\n\n'}${block}`;
    afterItem = item;
  };
  const tokens = markdown().parse(String(text ?? ''), {});
  const lists: { ordered: boolean; next: number }[] = [];
  let prefix = '';
  let quoted = 0;
  for (const token of tokens) {
    const indent = '  '.repeat(Math.max(0, lists.length - 1));
    const lead = '> '.repeat(quoted);
    switch (token.type) {
      case 'bullet_list_open':
      case 'ordered_list_open':
        lists.push({ ordered: token.type === 'ordered_list_open', next: Number(token.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        prefix = list?.ordered ? `${indent}${list.next++}. ` : `${indent}- `;
        break;
      }
      case 'blockquote_open':
        quoted++;
        break;
      case 'blockquote_close':
        quoted--;
        break;
      case 'inline':
        push(`${lead}${prefix}${inline(token.children ?? [])}`, prefix !== '');
        prefix = '';
        break;
      case 'fence':
      case 'code_block':
        push(
          fencedBlock(token.content, /^[a-z0-9-]*$/i.test(token.info) ? token.info : '')
            .split('\n')
            .map((line) => `${lead}${line}`)
            .join('\n'),
          false,
        );
        break;
      case 'hr':
        push(`${lead}---`, false);
        break;
      default:
        break;
    }
  }
  return out;
}

function inline(tokens: readonly Token[]): string {
  let out = '';
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
        out += escapeMarkdown(token.content);
        break;
      case 'code_inline':
        out += codeSpan(token.content);
        break;
      case 'strong_open':
      case 'strong_close':
        out += '**';
        break;
      case 'em_open':
      case 'em_close':
        out += '*';
        break;
      case 'link_open':
        // A `!` just before would make the reader's parser load it as an image (images are off here).
        out = `${out.endsWith('!') ? `${out.slice(0, -1)}\\!` : out}[`;
        break;
      case 'link_close': {
        const open = tokens.slice(0, tokens.indexOf(token)).findLast((t) => t.type === 'link_open');
        out += `](<${open?.attrGet('href') ?? ''}>)`;
        break;
      }
      case 'softbreak':
        out += '\n';
        break;
      case 'hardbreak':
        out += '<br>';
        break;
      default:
        out += escapeMarkdown(token.content);
    }
  }
  return out;
}

/** A code span whose backtick run is longer than any inside it, so the text cannot close it early. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text.replace(/\n/g, ' ')}${pad}${ticks}`;
}
