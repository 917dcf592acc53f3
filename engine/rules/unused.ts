import type { Diagnostic } from '../core/errors.js';
import type { YamlSource } from '../input/yaml-source.js';
import { isObject } from './rule-compiler.js';

/** The parts of a rule that describe it rather than compute anything: names in them are prose, not reads. */
const PROSE = new Set([
  'id',
  'title',
  'severity',
  'description',
  'rationale',
  'audit',
  'remediation',
  'references',
  'controls',
  'tags',
  'params',
]);
/** Options whose string is a path: its first name is a read of that binding. */
const PATHS = new Set(['path', 'of', 'arn', 'in', 'document']);
const TEMPLATE_ROOT = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)/g;
const PARAM_READ = /\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Parameters and bindings a rule declares but never reads: probably a slip (a misspelt reference, a leftover), worth
 * a warning from `validate`, never an error. Read from the rule as written, before parameters are filled in.
 */
export function unusedNames(source: YamlSource): Diagnostic[] {
  const data = source.data;
  if (!isObject(data)) return [];
  const roots = new Set<string>();
  const params = new Set<string>();
  const visit = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(TEMPLATE_ROOT)) roots.add(m[1] as string);
      for (const m of value.matchAll(PARAM_READ)) params.add(m[1] as string);
      if (key !== undefined && PATHS.has(key)) roots.add(/^[A-Za-z_][A-Za-z0-9_]*/.exec(value)?.[0] ?? '');
    } else if (Array.isArray(value)) for (const item of value) visit(item, key);
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) visit(v, k);
  };
  for (const [key, value] of Object.entries(data)) if (!PROSE.has(key)) visit(value, key);
  // A parameter's default may read another parameter.
  if (isObject(data.params)) visit(data.params, 'params');
  const out: Diagnostic[] = [];
  const warn = (code: 'unused-parameter' | 'unused-binding', pointer: string, message: string) =>
    out.push({ ...source.problem(code, pointer, message, true), severity: 'warning' });
  for (const name of isObject(data.params) ? Object.keys(data.params) : []) {
    if (!params.has(name))
      warn(
        'unused-parameter',
        `/params/${name}`,
        `parameter ${name} is declared but never read: read it as {{params.${name}}}, or remove it`,
      );
  }
  for (const name of isObject(data.let) ? Object.keys(data.let) : []) {
    if (!roots.has(name))
      warn(
        'unused-binding',
        `/let/${name}`,
        `binding ${name} is defined but never read: read it in a path (${name}.…) or a template ({{${name}…}}), or remove it`,
      );
  }
  return out;
}
