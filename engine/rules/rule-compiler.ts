import type { Diagnostic, ErrorCode } from '../core/errors.js';
import type { YamlSource } from '../input/yaml-source.js';
import { compileTemplate, type Template, TemplateSyntaxError } from '../template/template.js';
import type { Target } from './compiled-rule.js';
import { type CompiledPath, compilePath, JsonPathSyntaxError } from './json-path.js';

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

  /** A JSONPath starting at `$`; `undefined` (and a diagnostic) when malformed. */
  path(text: string, pointer: string): CompiledPath | undefined {
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

  /** `$…` (the resource) or `name…` (a binding or built-in root) followed by a JSONPath. */
  target(text: string, pointer: string, known: ReadonlySet<string>): Target | undefined {
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

function unknownName(name: string, known: ReadonlySet<string>, shown = name): string {
  return `${shown} reads ${JSON.stringify(name)}, which is not defined: define it under let, or use one of ${[...known].join(', ')}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
