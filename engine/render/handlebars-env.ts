import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';
import { fencedBlock, markdownText } from '../core/markdown-text.js';
import { packagePath } from '../core/package-root.js';
import { richHtml, richMarkdown } from './rich-text.js';

/**
 * The one Handlebars environment: strict mode (a misspelt field is an error, not an empty string), HTML escaping
 * on, prototype access off (the default), and only these helpers. No template output is left unescaped except the
 * Markdown helpers' own, which escape what they print. Handlebars is loaded when a template is first compiled: most
 * runs write JSON, and loading it would be a tenth of their start-up.
 */
let loaded: { readonly handlebars: typeof Handlebars; readonly env: typeof Handlebars } | undefined;
function handlebars(): { readonly handlebars: typeof Handlebars; readonly env: typeof Handlebars } {
  if (loaded === undefined) {
    const module = createRequire(import.meta.url)('handlebars') as typeof Handlebars;
    loaded = { handlebars: module, env: setUp(module) };
  }
  return loaded;
}

/** Where and why the template parser stopped: jison's hash, which Handlebars otherwise drops from its error. */
export interface ParseErrorHash {
  readonly text: string;
  readonly token: string;
  readonly loc?: { readonly last_line: number; readonly last_column: number };
  readonly expected?: readonly string[];
}

/** Inline Markdown text: no Markdown or HTML in the value takes effect; newlines become <br>. */
function md(value: unknown): Handlebars.SafeString {
  return new (handlebars().handlebars.SafeString)(markdownText(value));
}

/** A fenced code block whose fence is longer than any backtick run inside, so the text cannot break out. */
function fence(value: unknown, language: unknown): Handlebars.SafeString {
  return new (handlebars().handlebars.SafeString)(fencedBlock(value, language));
}

/**
 * A rule text written in Markdown, rendered as HTML with everything in it escaped (no raw HTML, images or non-https
 * links); an optional second argument is a bold lead-in to its first paragraph.
 */
function rich(value: unknown, ...rest: unknown[]): Handlebars.SafeString {
  const lead = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
  return new (handlebars().handlebars.SafeString)(richHtml(value, lead));
}

/** The same rule text for a Markdown report: its structure kept, every text escaped, only https links. */
function richMd(value: unknown): Handlebars.SafeString {
  return new (handlebars().handlebars.SafeString)(richMarkdown(value));
}

/** An identifier (an ARN) HTML-escaped, with a line-break opportunity after each `:` and `/` and nowhere else. */
function wrap(value: unknown): Handlebars.SafeString {
  const { handlebars: module } = handlebars();
  return new module.SafeString(module.escapeExpression(String(value ?? '')).replace(/[:/]/g, '$&<wbr>'));
}

/** A list cut into consecutive pieces of `size` (a long table as several, so a browser lays out only those in view). */
function chunks(list: unknown, size: unknown): unknown[][] {
  if (!Array.isArray(list)) return [];
  const n = typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : list.length || 1;
  const out: unknown[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

export const HELPERS = {
  eq: (a: unknown, b: unknown) => a === b,
  md,
  fence,
  rich,
  richMd,
  json: (value: unknown) => JSON.stringify(value, null, 2),
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
  /** Only https links are made clickable. */
  isHttps: (value: unknown) => typeof value === 'string' && /^https:\/\/[^\s"'<>]+$/.test(value),
  wrap,
  chunks,
} as const;

/** How many arguments each helper needs: fewer is a located template error, not `[object Object]` in a report. */
const ARITY: Readonly<Record<string, number>> = {
  eq: 2,
  md: 1,
  fence: 1,
  rich: 1,
  richMd: 1,
  wrap: 1,
  chunks: 2,
  json: 1,
  join: 1,
  isHttps: 1,
  each: 1,
  with: 1,
  lookup: 2,
  if: 1,
  unless: 1,
};

/** Where a helper was called from (Handlebars passes it in the last argument), for errors thrown inside it. */
interface HelperOptions {
  readonly loc?: { readonly start: { readonly line: number; readonly column: number } };
}

/** A helper whose errors carry the line and column of the call (the built-in ones say only what went wrong). */
function located(name: string, helper: (...args: unknown[]) => unknown): Handlebars.HelperDelegate {
  return function (this: unknown, ...args: unknown[]) {
    const loc = (args[args.length - 1] as HelperOptions | undefined)?.loc?.start;
    const at = loc === undefined ? {} : { lineNumber: loc.line, column: loc.column };
    const needed = ARITY[name] ?? 0;
    if (args.length - 1 < needed) throw Object.assign(new Error(`${name} needs ${needed} argument${needed === 1 ? '' : 's'}`), at);
    try {
      return helper.apply(this, args);
    } catch (error) {
      // An error from inside the block (a misspelt field) already says where it is.
      if (typeof (error as { lineNumber?: unknown }).lineNumber === 'number') throw error;
      throw Object.assign(new Error((error as Error).message), at);
    }
  } as Handlebars.HelperDelegate;
}

/** The environment, made once Handlebars is loaded. */
function setUp(module: typeof Handlebars): typeof Handlebars {
  // Keep the parser's location on the error, so a syntax error can be reported as file:line:col.
  (module as unknown as { Parser: { parseError: (message: string, hash: ParseErrorHash) => never } }).Parser.parseError = (
    message,
    hash,
  ) => {
    throw Object.assign(new Error(message), { hash });
  };
  const env = module.create();
  // `log` writes to the console (a template could fill CI logs with whatever it likes): templates do not get it.
  env.unregisterHelper('log');
  for (const name of ['each', 'with', 'lookup', 'if', 'unless']) {
    env.registerHelper(name, located(name, env.helpers[name] as (...args: unknown[]) => unknown));
  }
  for (const [name, helper] of Object.entries(HELPERS)) env.registerHelper(name, located(name, helper as (...args: unknown[]) => unknown));
  return env;
}

const knownHelpers = { ...Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])), log: false };

const COMPILE_OPTIONS = { strict: true, knownHelpers, knownHelpersOnly: true } as const;

/** Compiles a template source with the fixed helper list; unknown helpers are a compile error. */
export function compileTemplate(source: string): Handlebars.TemplateDelegate {
  return handlebars().env.compile(source, COMPILE_OPTIONS);
}

/**
 * Throws the error compiling would (syntax, unknown helper) now, rather than when the template first renders; and
 * refuses partials and decorators, which templates have no use for (a missing partial fails only when rendered).
 */
export function precompileTemplate(source: string): void {
  const { handlebars: module, env } = handlebars();
  env.precompile(source, COMPILE_OPTIONS);
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const n = node as { type?: string; loc?: { start: { line: number; column: number } } };
    if (n.type !== undefined && /^(Partial|Decorator)/.test(n.type)) {
      const what = n.type.startsWith('Partial') ? 'partials ({{> …}})' : 'decorators ({{* …}})';
      throw Object.assign(new Error(`${what} are not available in templates`), {
        ...(n.loc === undefined ? {} : { lineNumber: n.loc.start.line, column: n.loc.start.column }),
      });
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(module.parse(source));
}

const builtIn = new Map<string, Handlebars.TemplateDelegate>();

/** A built-in template from `templates/`, compiled once. */
export function builtInTemplate(file: string): Handlebars.TemplateDelegate {
  let template = builtIn.get(file);
  if (template === undefined) {
    template = compileTemplate(readFileSync(packagePath('templates', file), 'utf8'));
    builtIn.set(file, template);
  }
  return template;
}
