import type { Diagnostic, ErrorCode } from '../core/errors.js';
import type { YamlSource } from '../input/yaml-source.js';
import { compileTemplate, type Template, TemplateSyntaxError } from '../template/template.js';
import type { Target } from './compiled-rule.js';
import { type CompiledPath, compilePath, JsonPathSyntaxError } from './json-path.js';

const RESOURCE_PATH = compilePath('$');

const BINDING_NAME = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** Names every template and path may read, besides the rule's own bindings. */
export const BUILTIN_ROOTS = ['resource', 'snapshot'] as const;

/**
 * Compiles the parts of one rule file (paths, targets, templates), collecting every problem as a located
 * diagnostic instead of stopping at the first.
 */
export class RuleCompiler {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly source: YamlSource) {}

  error(code: ErrorCode, pointer: string, message: string, atKey = false): void {
    this.diagnostics.push(this.source.problem(code, pointer, message, atKey));
  }

  /** Whether this very problem (the same message at the same place) has been reported already. */
  reported(pointer: string, message: string, atKey = false): boolean {
    const at = this.source.problem('rule-schema', pointer, message, atKey);
    return this.diagnostics.some((d) => d.line === at.line && d.column === at.column && d.message === message);
  }

  /** A JSONPath starting at `$`; `undefined` (and a diagnostic) when malformed. */
  path(text: string, pointer: string): CompiledPath | undefined {
    if (this.templateInPath(text, pointer)) return undefined;
    try {
      return compilePath(text);
    } catch (error) {
      if (!(error instanceof JsonPathSyntaxError)) throw error;
      this.error('json-path', pointer, `invalid JSONPath ${JSON.stringify(text)}: ${error.message} (at character ${error.offset + 1})`);
      return undefined;
    }
  }

  /** A property name (`TrailARN`) or a JSONPath relative to the resource (`$.TrailARN`). */
  field(text: string, pointer: string): CompiledPath | undefined {
    return this.path(text.startsWith('$') ? text : `$[${JSON.stringify(text).replaceAll('"', "'")}]`, pointer);
  }

  /** `$…` (the resource), `name…` (a binding or built-in root) followed by a JSONPath, or `~` (the resource's id). */
  target(text: string, pointer: string, known: ReadonlySet<string>): Target | undefined {
    if (this.templateInPath(text, pointer)) return undefined;
    if (text === '~') return { text, root: undefined, id: true, path: RESOURCE_PATH };
    if (text.startsWith('$')) {
      const path = this.path(text, pointer);
      return path && { text, root: undefined, path };
    }
    const match = BINDING_NAME.exec(text);
    const name = match?.[1];
    const rest = match?.[2] ?? '';
    if (name === undefined || (rest !== '' && !rest.startsWith('.') && !rest.startsWith('['))) {
      this.error(
        'json-path',
        pointer,
        `path ${JSON.stringify(text)} must start with $ (the resource) or a binding name such as key.policy`,
      );
      return undefined;
    }
    if (!known.has(name)) {
      this.error('unknown-binding', pointer, unknownName(name, known, `path ${JSON.stringify(text)}`));
      return undefined;
    }
    const path = this.path(`$${rest}`, pointer);
    return path && { text, root: name === 'resource' ? undefined : name, path };
  }

  /**
   * Paths are never templates: `snapshot.trailStatus['{{resource.TrailARN}}']` would be read as written and select
   * nothing. Reported with the lookup that finds the entry by value instead.
   */
  private templateInPath(text: string, pointer: string): boolean {
    if (!text.includes('{{')) return false;
    this.error('json-path', pointer, `path ${JSON.stringify(text)} holds a template, but paths are not templates: ${lookupInstead(text)}`);
    return true;
  }

  /** A `{{…}}` template whose names must all be known. */
  template(text: string, pointer: string, known: ReadonlySet<string>): Template {
    try {
      const template = compileTemplate(text);
      for (const root of template.roots)
        if (!known.has(root)) this.error('unknown-binding', pointer, unknownName(root, known, `{{${root}…}}`));
      return template;
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      this.error('template', pointer, `invalid template: ${error.message}`);
      return compileTemplate('');
    }
  }
}

/** The advice for a path that names an entry by a template: the `entry` lookup, written out when the shape allows. */
function lookupInstead(text: string): string {
  const shape = /^(snapshot(?:\.[A-Za-z_][\w]*)+)\[\s*['"]?\{\{\s*([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)\s*\}\}['"]?\s*\](.*)$/s.exec(text);
  if (shape === null)
    return 'to find an entry of a collection by a value of the resource, bind it with a lookup (let: { name: { lookup: entry, in: snapshot.<collection>, of: <path of the value> } }) and read the binding';
  const [, collection, root, fields, rest] = shape as unknown as [string, string, string, string, string];
  const of = root === 'resource' ? `$${fields}` : `${root}${fields}`;
  const name = collection.slice(collection.lastIndexOf('.') + 1);
  return `bind the entry with a lookup, let: { ${name}: { lookup: entry, in: ${collection}, of: ${of} } }, and read ${name}${rest}`;
}

function unknownName(name: string, known: ReadonlySet<string>, shown = name): string {
  return `${shown} reads ${JSON.stringify(name)}, which is not defined: define it under let, or use one of ${[...known].join(', ')}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
