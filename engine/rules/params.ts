import type { Diagnostic } from '../core/errors.js';
import type { YamlSource } from '../input/yaml-source.js';
import type { RuleCompiler } from './rule-compiler.js';
import { isObject } from './rule-compiler.js';

/** A value given for a rule's parameter outside the rule (pack.yaml or a params file), with where it was written. */
export interface ParamOverride {
  readonly value: unknown;
  readonly at: { readonly file: string; readonly line: number; readonly column: number };
}

/** Overrides by rule id, then parameter name. Later sources win. */
export type ParamOverrides = ReadonlyMap<string, ReadonlyMap<string, ParamOverride>>;

export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;

/** `{{params.name}}` alone in a string: replaced by the value itself, whatever its type. */
const WHOLE = /^\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
/** `{{params.name}}` inside a longer string: replaced by its text. */
const INSIDE = /\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Reads `{ <rule-id>: { <param>: value } }` overrides (pack.yaml's `params`, or a params file) with the place of
 * each value; shape problems become diagnostics.
 */
export function readOverrides(
  source: YamlSource,
  data: unknown,
  pointer: string,
  diagnostics: Diagnostic[],
): Map<string, Map<string, ParamOverride>> {
  const out = new Map<string, Map<string, ParamOverride>>();
  if (data === undefined) return out;
  if (!isObject(data)) {
    diagnostics.push(source.problem('rule-schema', pointer, `params must map rule ids to { parameter: value }, found ${typeName(data)}`));
    return out;
  }
  for (const [ruleId, values] of Object.entries(data)) {
    if (!isObject(values)) {
      diagnostics.push(
        source.problem(
          'rule-schema',
          `${pointer}/${ruleId}`,
          `params of ${ruleId} must map parameter names to values, found ${typeName(values)}`,
        ),
      );
      continue;
    }
    const forRule = new Map<string, ParamOverride>();
    for (const [name, value] of Object.entries(values)) {
      forRule.set(name, { value, at: { file: source.file, ...source.locate(`${pointer}/${ruleId}/${name}`) } });
    }
    out.set(ruleId, forRule);
  }
  return out;
}

/** Layers override sets: a value in a later set replaces the one in an earlier set. */
export function mergeOverrides(...sets: readonly ParamOverrides[]): Map<string, Map<string, ParamOverride>> {
  const out = new Map<string, Map<string, ParamOverride>>();
  for (const set of sets) {
    for (const [ruleId, values] of set) {
      const forRule = out.get(ruleId) ?? new Map<string, ParamOverride>();
      for (const [name, value] of values) forRule.set(name, value);
      out.set(ruleId, forRule);
    }
  }
  return out;
}

/**
 * The values of a rule's declared parameters: each override (checked against the declared type) or the default.
 * A parameter with neither, an override of an undeclared parameter, or a value of the wrong type is reported.
 */
export function resolveParams(
  compiler: RuleCompiler,
  declared: unknown,
  overrides: ReadonlyMap<string, ParamOverride> | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const specs = isObject(declared) ? declared : {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!isObject(spec)) continue;
    const override = overrides?.get(name);
    const type = typeof spec.type === 'string' ? spec.type : undefined;
    if (override !== undefined) {
      if (type !== undefined && !hasType(override.value, type)) {
        compiler.diagnostics.push({
          code: 'rule-schema',
          ...override.at,
          message: `parameter ${name} of ${ruleName(compiler)} must be ${article(type)}, found ${typeName(override.value)}`,
        });
      }
      values[name] = override.value;
    } else if ('default' in spec) {
      if (type !== undefined && !hasType(spec.default, type)) {
        compiler.error(
          'rule-schema',
          `/params/${name}/default`,
          `the default of parameter ${name} must be ${article(type)}, found ${typeName(spec.default)}`,
        );
      }
      values[name] = spec.default;
    } else {
      compiler.error(
        'rule-schema',
        `/params/${name}`,
        `parameter ${name} has no default and no value is given: set it under params.${ruleName(compiler)} in pack.yaml or a --params file`,
        true,
      );
    }
  }
  for (const [name, override] of overrides ?? []) {
    if (!(name in specs)) {
      const known = Object.keys(specs);
      compiler.diagnostics.push({
        code: 'rule-schema',
        ...override.at,
        message: `${ruleName(compiler)} has no parameter ${JSON.stringify(name)}${known.length === 0 ? ': it declares none' : `: it declares ${known.join(', ')}`}`,
      });
    }
  }
  return values;
}

/**
 * The rule with every `{{params.name}}` replaced: a string that is only the reference becomes the value itself (a
 * list stays a list, and is spread into the list it is an item of); a reference inside text becomes the value's text. The `params` declarations are left as written.
 */
export function substituteParams(
  compiler: RuleCompiler,
  raw: Record<string, unknown>,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === 'string') return substituteString(compiler, value, pointer, values);
    // A list parameter named alone as an item of a list is spread into it: values: [us-east-1, "{{params.more}}"].
    if (Array.isArray(value))
      return value.flatMap((item, i) => {
        const substituted = walk(item, `${pointer}/${i}`);
        return typeof item === 'string' && WHOLE.test(item) && Array.isArray(substituted) ? substituted : [substituted];
      });
    // fromEntries defines own properties: a "__proto__" key stays data and never becomes a prototype.
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${pointer}/${k}`)]));
    return value;
  };
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, k === 'params' ? v : walk(v, `/${k}`)]));
}

function substituteString(compiler: RuleCompiler, text: string, pointer: string, values: Readonly<Record<string, unknown>>): unknown {
  if (!text.includes('params.')) return text;
  const known = (name: string) => {
    if (name in values) return true;
    compiler.error('unknown-binding', pointer, `{{params.${name}}} names a parameter the rule does not declare under params`);
    return false;
  };
  const whole = WHOLE.exec(text);
  if (whole !== null) {
    const name = whole[1] as string;
    return known(name) ? structuredClone(values[name]) : text;
  }
  return text.replace(INSIDE, (match, name: string) => {
    if (!known(name)) return match;
    const value = values[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function ruleName(compiler: RuleCompiler): string {
  const data = compiler.source.data;
  return isObject(data) && typeof data.id === 'string' ? data.id : 'the rule';
}
