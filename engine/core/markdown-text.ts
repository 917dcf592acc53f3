// Characters that start emphasis, code, links, tables or strike-through inline; & < > become entities instead.
const MARKDOWN_SPECIAL = /[\\`*_[\]|~]/g;
const HTML_SPECIAL: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Inline Markdown text: no Markdown or HTML in the value takes effect; newlines become <br> (safe in a table cell). */
export function markdownText(value: unknown): string {
  return escapeMarkdown(String(value ?? '').trimEnd()).replace(/\r?\n/g, '<br>');
}

/** Text with every character that Markdown or HTML would act on escaped, nothing else changed. */
export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN_SPECIAL, '\\$&').replace(/[&<>]/g, (c) => HTML_SPECIAL[c] ?? c);
}

/** A fenced code block whose fence is longer than any backtick run inside, so the text cannot break out. */
export function fencedBlock(value: unknown, language: unknown): string {
  const text = String(value ?? '').replace(/\s+$/, '');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marks = '`'.repeat(Math.max(3, longest + 1));
  return `${marks}${typeof language === 'string' ? language : ''}\n${text}\n${marks}`;
}
