import { JSONPath } from 'jsonpath-plus';

/** A JSONPath checked and compiled once: `query` returns every value it selects. */
export interface CompiledPath {
  readonly source: string;
  /** A chain of names and indexes (`$.a.b[0]`): at most one value, found without a search. */
  readonly direct: boolean;
  query(json: unknown): unknown[];
  /** Each value selected with the name it is listed under in its parent (a property name or an array index). */
  named(json: unknown): { readonly value: unknown; readonly name: string | number | undefined }[];
}

export class JsonPathSyntaxError extends Error {
  constructor(
    message: string,
    /** Offset of the problem inside the path text. */
    readonly offset: number,
  ) {
    super(message);
  }
}

type Step = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'complex' };

const NAME = /^[A-Za-z_$][\w$-]*/;

/**
 * Checks a JSONPath against the subset trailguard supports and compiles it for jsonpath-plus with script
 * evaluation off. Rejects what jsonpath-plus would silently misread (`$.a[`, `$['a]`) and every script or filter
 * expression (`[?(…)]`, `[(…)]`), which would otherwise run code from a rule file.
 */
export function compilePath(source: string): CompiledPath {
  const steps = parse(source);
  if (steps.every((s) => s.kind === 'name')) {
    const names = steps.map((s) => (s as { name: string }).name);
    const last = names[names.length - 1];
    return {
      source,
      direct: true,
      query: (json) => direct(json, names),
      named: (json) => direct(json, names).map((value) => ({ value, name: last })),
    };
  }
  return {
    source,
    direct: false,
    query(json) {
      if (json === null || typeof json !== 'object') return [];
      return JSONPath({ path: source, json, eval: false, wrap: true, resultType: 'value' }) as unknown[];
    },
    named(json) {
      if (json === null || typeof json !== 'object') return [];
      const found = JSONPath({ path: source, json, eval: false, wrap: true, resultType: 'all' }) as {
        value: unknown;
        parentProperty: string | number | null;
      }[];
      return found.map((f) => ({ value: f.value, name: f.parentProperty ?? undefined }));
    },
  };
}

function parse(source: string): Step[] {
  if (!source.startsWith('$')) throw new JsonPathSyntaxError(`a JSONPath starts with $, found ${JSON.stringify(source.slice(0, 1))}`, 0);
  const steps: Step[] = [];
  let i = 1;
  while (i < source.length) {
    const rest = source.slice(i);
    if (rest.startsWith('..')) {
      i += 2;
      steps.push({ kind: 'complex' });
      const next = source.slice(i);
      if (next.startsWith('*')) i += 1;
      else if (next.startsWith('[')) continue;
      else i += expectName(next, i, 'after ..');
    } else if (rest.startsWith('.')) {
      i += 1;
      const next = source.slice(i);
      if (next.startsWith('*')) {
        steps.push({ kind: 'complex' });
        i += 1;
      } else {
        const length = expectName(next, i, 'after .');
        steps.push({ kind: 'name', name: next.slice(0, length) });
        i += length;
      }
    } else if (rest.startsWith('[')) {
      const { step, length } = bracket(rest, i);
      steps.push(step);
      i += length;
    } else {
      throw new JsonPathSyntaxError(`unexpected ${JSON.stringify(rest[0])} in JSONPath: expected ., .. or [`, i);
    }
  }
  return steps;
}

function expectName(text: string, offset: number, where: string): number {
  const match = NAME.exec(text);
  if (match === null) {
    const found = text === '' ? 'the end of the path' : JSON.stringify(text[0]);
    throw new JsonPathSyntaxError(`expected a property name ${where}, found ${found} (use ['name'] for other characters)`, offset);
  }
  return match[0].length;
}

function bracket(text: string, offset: number): { step: Step; length: number } {
  const inner = text.slice(1);
  if (inner.startsWith('?') || inner.startsWith('(')) {
    throw new JsonPathSyntaxError(
      'script and filter expressions ([?(…)], [(…)]) are not allowed in rules: select with a plain path and test values with an operator',
      offset,
    );
  }
  const quote = inner[0];
  if (quote === "'" || quote === '"') {
    let j = 1;
    let name = '';
    while (j < inner.length && inner[j] !== quote) {
      if (inner[j] === '\\' && j + 1 < inner.length) j++;
      name += inner[j];
      j++;
    }
    if (inner[j] !== quote) throw new JsonPathSyntaxError(`unterminated quoted name in JSONPath`, offset);
    if (inner[j + 1] !== ']') throw new JsonPathSyntaxError(`expected ] after the quoted name ${quote}${name}${quote}`, offset + j + 2);
    return { step: { kind: 'name', name }, length: j + 3 };
  }
  const close = inner.indexOf(']');
  if (close < 0) throw new JsonPathSyntaxError('unclosed [ in JSONPath', offset);
  const body = inner.slice(0, close).trim();
  const length = close + 2;
  if (body === '*') return { step: { kind: 'complex' }, length };
  if (/^\d+$/.test(body)) return { step: { kind: 'name', name: body }, length };
  if (/^-?\d*:-?\d*(:-?\d*)?$/.test(body) || /^-?\d+(\s*,\s*-?\d+)+$/.test(body) || /^-\d+$/.test(body)) {
    return { step: { kind: 'complex' }, length };
  }
  throw new JsonPathSyntaxError(
    `[${body}] is not an index, slice, union of indexes, * or quoted name (write ['${body}'] for a property)`,
    offset,
  );
}

function direct(json: unknown, names: readonly string[]): unknown[] {
  let value = json;
  for (const name of names) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return [];
    value = (value as Record<string, unknown>)[name];
  }
  return value === undefined ? [] : [value];
}
