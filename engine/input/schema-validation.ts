import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { quote } from '../core/errors.js';
import { packagePath } from '../core/package-root.js';
import { closestName } from '../core/suggest.js';

const require = createRequire(import.meta.url);

/** A schema problem: where (a JSON Pointer into the document) and what, in words. */
export interface SchemaProblem {
  readonly pointer: string;
  readonly message: string;
  /** Point at the property's name instead of its value (unknown or missing properties). */
  readonly atKey: boolean;
}

/** A validator that is fast when the document is valid and reports every problem when it is not. */
export interface SchemaValidator {
  /** Problems found; pointers and paths in messages are prefixed with `base` (where `data` sits in its file). */
  validate(data: unknown, base?: string): readonly SchemaProblem[];
}

/** Loads a JSON Schema shipped in `schemas/`: its validator compiled at build time, else compiled now. */
export function loadSchemaValidator(file: string): SchemaValidator {
  const schema = JSON.parse(readFileSync(packagePath('schemas', file), 'utf8')) as object;
  return compileSchemaValidator(schema, file);
}

/**
 * A validator of `schema`. Valid documents are checked by the first-error validator that `npm run build` compiled
 * for `name` (scripts/compile-validators.ts), when it was compiled from this very schema, else by one ajv compiles
 * now; an invalid document is checked again with every error, by ajv, loaded only then. ajv's loading and compiling
 * were a quarter of start-up.
 */
export function compileSchemaValidator(schema: object, name?: string): SchemaValidator {
  const fast = (name === undefined ? undefined : precompiledValidator(name, schema)) ?? makeAjv(false).compile(schema);
  let thorough: ValidateFunction | undefined;
  return {
    validate(data, base = '') {
      if (fast(data)) return [];
      thorough ??= makeAjv(true).compile(schema);
      thorough(data);
      return describeErrors(thorough.errors ?? [], data, base, schema);
    },
  };
}

/** The formats trailguard's schemas use. */
export const SCHEMA_FORMATS = ['date', 'date-time', 'uri'];

/** ajv as trailguard's schemas are compiled, at build time (with `extra` code options) and at run time. */
export function makeAjv(allErrors: boolean, extra: Options = {}): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  // ajv-formats is CommonJS: its function is the module itself.
  const addFormats = require('ajv-formats') as (ajv: Ajv, formats: string[]) => Ajv;
  // The schemas are trailguard's own, checked against the JSON Schema meta-schema by the test suite
  // (test/engine/schemas.test.ts): checking them again at every start would take a third of the start-up time.
  const ajv = new Ajv({ allErrors, strict: true, allowUnionTypes: true, validateSchema: false, ...extra });
  addFormats(ajv, SCHEMA_FORMATS);
  return ajv;
}

/** The hash a precompiled validator records of the schema it was compiled from. */
export function schemaHash(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** The build's validators (`validators.cjs` beside this module), or null where there is no build (the sources). */
let precompiled: Readonly<Record<string, { readonly hash: string; readonly validate: ValidateFunction }>> | null | undefined;

function precompiledValidator(name: string, schema: object): ValidateFunction | undefined {
  if (precompiled === undefined) {
    try {
      precompiled = (require('./validators.cjs') as { validators: NonNullable<typeof precompiled> }).validators;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
      precompiled = null;
    }
  }
  const entry = precompiled?.[name];
  return entry !== undefined && entry.hash === schemaHash(schema) ? entry.validate : undefined;
}

/**
 * When a value fails every branch of an anyOf/oneOf, a branch that failed only on the value's type or enum says
 * little if another branch took the value's shape and failed deeper: the deeper branch's errors are the ones to show.
 */
function withoutShallowBranches(errors: readonly ErrorObject[]): readonly ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const o of errors) {
      if (!o.schemaPath.startsWith(`${e.schemaPath}/`)) continue;
      const branch = o.schemaPath.slice(e.schemaPath.length + 1).split('/')[0] as string;
      branches.set(branch, [...(branches.get(branch) ?? []), o]);
    }
    const shallow = (list: readonly ErrorObject[]) =>
      list.every((o) => o.instancePath === e.instancePath && ['type', 'enum', 'const'].includes(o.keyword));
    const lists = [...branches.values()];
    const typeOnly = (list: readonly ErrorObject[]) => list.every((o) => o.keyword === 'type');
    // A branch that took the value's shape explains more than one that wanted another type.
    const worse = lists.some((l) => !shallow(l)) ? shallow : lists.some((l) => !typeOnly(l)) ? typeOnly : undefined;
    if (worse !== undefined) for (const l of lists) if (worse(l)) for (const o of l) dropped.add(o);
  }
  return dropped.size === 0 ? errors : errors.filter((e) => !dropped.has(e));
}

/** The properties the schema knows where an `additionalProperties` error was raised (its `schemaPath`). */
function knownNames(schema: object, schemaPath: string): string[] {
  const steps = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let at: unknown = schema;
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return [];
    at = (at as Record<string, unknown>)[step.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  const properties = (at as { properties?: unknown } | undefined)?.properties;
  return properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
}

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  date: 'a date (YYYY-MM-DD)',
  'date-time': 'a date and time (RFC 3339, e.g. 2026-11-29T10:00:00Z)',
  uri: 'a URI',
};

/**
 * Turns ajv errors into sentences that say what was expected and what was found, one per place. With the schema, an
 * unknown property is told with the one it most likely meant (`patern`: did you mean pattern?), or with the known
 * ones; a misspelt required property is one problem, not also a missing one.
 */
export function describeErrors(errors: readonly ErrorObject[], data: unknown, base = '', schema?: object): SchemaProblem[] {
  // oneOf/anyOf report every branch; keep the branch errors and drop the summary when branches explain it.
  const kept = withoutShallowBranches(errors).filter(
    (e) =>
      !(
        (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'propertyNames') &&
        errors.some((o) => o !== e && o.instancePath === e.instancePath)
      ),
  );
  // Missing properties of one object make one problem that names them all.
  const missing = new Map<string, string[]>();
  for (const e of kept) {
    if (e.keyword !== 'required') continue;
    const names = missing.get(e.instancePath) ?? [];
    names.push(String((e.params as { missingProperty?: unknown }).missingProperty));
    missing.set(e.instancePath, names);
  }
  const hints = new Map<ErrorObject, string>();
  for (const e of kept) {
    if (e.keyword !== 'additionalProperties' || schema === undefined) continue;
    const names = knownNames(schema, e.schemaPath);
    const bad = String((e.params as { additionalProperty?: unknown }).additionalProperty);
    const meant = closestName(bad, names);
    const wanted = missing.get(e.instancePath);
    if (meant !== undefined && wanted?.includes(meant)) {
      wanted.splice(wanted.indexOf(meant), 1);
      if (wanted.length === 0) missing.delete(e.instancePath);
    }
    if (meant !== undefined) hints.set(e, ` (did you mean ${meant}?)`);
    else if (names.length > 0) hints.set(e, `: known properties are ${names.join(', ')}`);
  }
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const error of kept) {
    if (error.keyword === 'required') {
      const names = missing.get(error.instancePath);
      if (names === undefined) continue;
      missing.delete(error.instancePath);
      const at = displayPath(base + error.instancePath);
      const list = names.length === 1 ? `property ${names[0]}` : `properties ${names.join(', ')}`;
      out.push({ pointer: base + error.instancePath, atKey: false, message: `${at} is missing the required ${list}` });
      continue;
    }
    const described = describe({ ...error, instancePath: base + error.instancePath }, valueAt(data, error.instancePath));
    const problem = { ...described, message: described.message + (hints.get(error) ?? '') };
    const key = `${problem.pointer} ${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(problem);
    }
  }
  return out;
}

function describe(error: ErrorObject, value: unknown): SchemaProblem {
  const at = displayPath(error.instancePath);
  const found = describeValue(value);
  const p = error.params as Record<string, unknown>;
  const here = (message: string): SchemaProblem => ({ pointer: error.instancePath, atKey: false, message });
  // Problems with a property's name point at the name, not at its value.
  const atName = (name: string, message: string): SchemaProblem => ({
    pointer: `${error.instancePath}/${escapePointer(name)}`,
    atKey: true,
    message,
  });
  const badName = typeof error.propertyName === 'string' ? error.propertyName : undefined;
  switch (error.keyword) {
    case 'additionalProperties':
      return atName(String(p.additionalProperty), `${joinPath(at, propertyName(String(p.additionalProperty)))} is not a known property`);
    case 'propertyNames':
      return atName(String(p.propertyName), `${at} has an invalid property name ${quote(String(p.propertyName))}`);
    case 'pattern':
      return badName === undefined
        ? here(`${at} must match ${String(p.pattern)}, found ${found}`)
        : atName(badName, `${at} has an invalid property name ${quote(badName)}: it must match ${String(p.pattern)}`);
    case 'not':
      return badName === undefined
        ? here(`${at} is not allowed here, found ${found}`)
        : atName(badName, `${at} cannot use the reserved name ${quote(badName)}`);
    case 'type':
      return here(`${at} must be ${article(String(p.type))}, found ${found}`);
    case 'enum':
      return here(`${at} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}, found ${found}`);
    case 'const':
      return here(`${at} must be ${JSON.stringify(p.allowedValue)}, found ${found}`);
    case 'maxLength':
      return here(`${at} must be at most ${String(p.limit)} characters long, found ${String((value as string).length)}`);
    case 'format':
      return here(`${at} must be ${FORMAT_NAMES[String(p.format)] ?? `a ${String(p.format)}`}, found ${found}`);
    default:
      return here(`${at} ${error.message ?? 'is invalid'}, found ${found}`);
  }
}

/** Where a problem is: names in it are shown whole up to this length (an ARN fits). */
const PATH_SEGMENT = 160;

/** `/trails/3/TrailARN` → `trails[3].TrailARN` (the document itself is `(document)`). */
export function displayPath(pointer: string): string {
  if (pointer === '') return '(document)';
  let out = '';
  for (const segment of pointer.slice(1).split('/').map(unescapePointer)) {
    out += /^\d+$/.test(segment)
      ? `[${segment}]`
      : out === ''
        ? propertyName(segment, PATH_SEGMENT)
        : /^[\w$-]+$/.test(segment)
          ? `.${propertyName(segment, PATH_SEGMENT)}`
          : `[${quote(segment, PATH_SEGMENT)}]`;
  }
  return out;
}

/** A property name as a message shows it: as it is when short and plain, else a short quoted excerpt. */
function propertyName(name: string, max = 40): string {
  return name.length <= max && /^[\w$-]+$/.test(name) ? name : quote(name, max);
}

function joinPath(at: string, name: string): string {
  return at === '(document)' ? name : `${at}.${name}`;
}

export function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointer);
}

function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const segment of pointerSegments(pointer)) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return quote(value, 60);
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  return type
    .split(',')
    .map((t) => (t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`))
    .join(' or ');
}

/** A JSON Pointer segment: `~` and `/` escaped. */
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
