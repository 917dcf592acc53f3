import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The public API's reference, read from the sources: every name `engine/index.ts` exports, grouped by the folder it
 * comes from, with its kind, the TSDoc comment of its declaration and the file it is declared in. TypeDoc and API
 * Extractor need TypeScript's compiler API, which the pinned TypeScript 7 does not have; this reads the few
 * declaration forms the engine uses, and the test that writes docs/api.md fails on an export without TSDoc.
 */
export interface ApiEntry {
  readonly name: string;
  readonly kind: string;
  readonly doc: string;
  readonly file: string;
}

export interface ApiSection {
  readonly title: string;
  readonly entries: ApiEntry[];
}

/** Sections of the reference, by the folder of the module an export comes from, in reading order. */
const SECTIONS: readonly (readonly [string, readonly string[]])[] = [
  ['Running a check', ['engine', 'engine/evaluate']],
  ['Snapshots', ['engine/snapshot']],
  ['Templates and plans as snapshots', ['engine/import']],
  ['Rule packs, their tests and waivers', ['engine/rules', 'engine/operators', 'engine/testing', 'engine/waivers']],
  ['Findings, evidence and results', ['engine/core', 'engine/results']],
  ['Rendering', ['engine/render']],
  ['Fixing key policies', ['engine/fix']],
  ['The IAM policy evaluator', ['engine/iam']],
  ['Reading input', ['engine/input']],
];

export function apiReference(root: string): ApiSection[] {
  const index = join(root, 'engine', 'index.ts');
  const sections = SECTIONS.map(([title]) => ({ title, entries: [] as ApiEntry[] }));
  const text = readFileSync(index, 'utf8');
  for (const found of text.matchAll(/export (?:type )?\{([^}]*)\} from '([^']+)'/g)) {
    const module = resolveModule(index, found[2] as string);
    const folder = relative(root, dirname(module));
    const at = SECTIONS.findIndex(([, folders]) => folders.includes(folder));
    if (at < 0) throw new Error(`engine/index.ts exports from ${folder}, which no section of the API reference covers`);
    for (const raw of (found[1] as string).split(',')) {
      const name = raw.replace(/^\s*type\s+/, '').trim();
      if (name !== '') (sections[at] as ApiSection).entries.push(declaration(root, module, name));
    }
  }
  for (const section of sections) section.entries.sort((a, b) => a.name.localeCompare(b.name));
  return sections.filter((s) => s.entries.length > 0);
}

function resolveModule(from: string, specifier: string): string {
  return join(dirname(from), specifier.replace(/\.js$/, '.ts'));
}

/** Where `name` is declared, following re-exports (`export type { X } from './y.js'`). */
function declaration(root: string, file: string, name: string): ApiEntry {
  const source = readFileSync(file, 'utf8');
  const declared = new RegExp(
    `((?:/\\*\\*(?:[^*]|\\*(?!/))*\\*/\\s*)?)export (?:declare )?(?:async )?(function\\*?|const|class|interface|type|let) ${name}\\b`,
  ).exec(source);
  if (declared !== null) {
    return { name, kind: kindOf(declared[2] as string), doc: tsdoc(declared[1] as string), file: relative(root, file) };
  }
  for (const reexport of source.matchAll(/export (?:type )?\{([^}]*)\} from '([^']+)'/g)) {
    const names = (reexport[1] as string).split(',').map((n) => n.replace(/^\s*type\s+/, '').trim());
    const target = resolveModule(file, reexport[2] as string);
    if (names.includes(name) && existsSync(target)) return declaration(root, target, name);
  }
  throw new Error(`engine/index.ts exports ${name}, but no declaration of it was found from ${relative(root, file)}`);
}

function kindOf(keyword: string): string {
  if (keyword.startsWith('function')) return 'function';
  if (keyword === 'let') return 'const';
  return keyword;
}

/** The comment's text without its `/**`, `*` and `*\/` marks, as one paragraph per blank line. */
function tsdoc(comment: string): string {
  return comment
    .replace(/^\s*\/\*\*/, '')
    .replace(/\*\/\s*$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim()
    .replace(/\{@link ([^}]+)\}/g, '`$1`');
}

/** The reference as Markdown: the file docs/api.md holds. */
export function apiMarkdown(sections: readonly ApiSection[]): string {
  const lines = [
    '# The public API',
    '',
    "Everything `import … from 'trailguard'` gives (`engine/index.ts`), generated from the sources' TSDoc comments by",
    '`test/api.test.ts`; after changing an export, run `npx vitest run test/api.test.ts -u` and commit the result.',
    'An example that checks a snapshot held in memory: [`examples/library/check-in-memory.mjs`](../examples/library/check-in-memory.mjs).',
  ];
  for (const section of sections) {
    lines.push('', `## ${section.title}`);
    for (const entry of section.entries) {
      lines.push('', `### \`${entry.name}\` (${entry.kind})`, '', entry.doc, '', `Declared in [\`${entry.file}\`](../${entry.file}).`);
    }
  }
  return `${lines.join('\n')}\n`;
}
