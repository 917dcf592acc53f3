/** Values a template can read: the resource, the bindings, the verdict… addressed by dotted names. */
export type Scope = Readonly<Record<string, unknown>>;

/** A compiled `{{ name.path }}` template: renders to text, reading names from a scope. */
export interface Template {
  readonly source: string;
  /** The root names it reads (`resource`, a binding…), for checking references when a rule loads. */
  readonly roots: readonly string[];
  /** Renders the text; a name the scope lacks renders as the empty string. */
  render(scope: Scope): string;
  /** A template that is exactly one `{{ … }}` gives the value itself (an object stays an object). */
  value(scope: Scope): unknown;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME_PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_$][\w$-]*|\[\d+\])*$/;

export class TemplateSyntaxError extends Error {}

/**
 * Compiles a template. Only `{{ dotted.names[0] }}` are allowed: no helpers, no code, nothing a rule author's
 * text can run. Values are not escaped here; the report renderers escape what they print.
 */
export function compileTemplate(source: string): Template {
  const literals: string[] = [];
  const getters: ((scope: Scope) => unknown)[] = [];
  const roots = new Set<string>();
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const expression = match[1] ?? '';
    if (!NAME_PATH.test(expression)) {
      throw new TemplateSyntaxError(`{{${expression}}} is not a name such as {{resource.Name}} or {{key.arn}}`);
    }
    literals.push(source.slice(last, match.index));
    const steps = splitPath(expression);
    roots.add(steps[0] as string);
    getters.push((scope) => readPath(scope, steps));
    last = (match.index ?? 0) + match[0].length;
  }
  const tail = source.slice(last);
  if (tail.includes('{{')) throw new TemplateSyntaxError(`unclosed {{ in ${JSON.stringify(source)}`);
  literals.push(tail);
  const single = getters.length === 1 && literals[0] === '' && literals[1] === '';
  const render = (scope: Scope) => {
    if (getters.length === 0) return source;
    let out = literals[0] as string;
    for (let i = 0; i < getters.length; i++) out += text((getters[i] as (s: Scope) => unknown)(scope)) + literals[i + 1];
    return out;
  };
  return {
    source,
    roots: [...roots],
    render,
    value: single ? (scope) => (getters[0] as (s: Scope) => unknown)(scope) : render,
  };
}

/** Whether a string holds a placeholder and so needs compiling. */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

function splitPath(expression: string): string[] {
  return expression.split(/\.|\[(\d+)\]/).filter((s): s is string => s !== undefined && s !== '');
}

/** Reads own properties only, so `{{x.__proto__}}` or `{{x.constructor}}` find nothing. */
export function readPath(root: unknown, steps: readonly string[]): unknown {
  let value: unknown = root;
  for (const step of steps) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
