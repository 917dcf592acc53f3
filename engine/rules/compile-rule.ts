import { basename } from 'node:path';
import type { Severity, Status } from '../core/model.js';
import { loadSchemaValidator, type SchemaValidator } from '../input/schema-validation.js';
import type { YamlSource } from '../input/yaml-source.js';
import type { Template } from '../template/template.js';
import { compileAssertion, withVerdict } from './compile-assertion.js';
import { compileBinding } from './compile-binding.js';
import type { CompiledAssertion, CompiledBinding, CompiledFix, CompiledRule, RuleInfo } from './compiled-rule.js';
import { type ParamOverride, resolveParams, substituteParams } from './params.js';
import { BUILTIN_ROOTS, isObject, RuleCompiler } from './rule-compiler.js';

let ruleSchema: SchemaValidator | undefined;

const MESSAGE_STATUSES: readonly Status[] = ['pass', 'fail', 'unknown', 'skip', 'error'];

/**
 * Validates a parsed rule file against the rule schema and compiles it: paths, bindings, operators, templates.
 * Returns the rule, or every problem found with its line and column.
 */
export function compileRule(
  source: YamlSource,
  pack: string,
  overrides?: ReadonlyMap<string, ParamOverride>,
): { rule?: CompiledRule; diagnostics: RuleCompiler['diagnostics'] } {
  const compiler = new RuleCompiler(source);
  ruleSchema ??= loadSchemaValidator('rule-v1.schema.json');
  for (const p of ruleSchema.validate(source.data)) compiler.error('rule-schema', p.pointer, p.message, p.atKey);
  if (!isObject(source.data)) return { diagnostics: compiler.diagnostics };
  const before = compiler.diagnostics.length;
  const params = resolveParams(compiler, source.data.params, overrides);
  const raw = compiler.diagnostics.length > before ? undefined : substituteParams(compiler, source.data, params);
  // A parameter without a value would make every place that reads it a problem of its own: report it alone.
  if (raw === undefined || compiler.diagnostics.length > before) return { diagnostics: compiler.diagnostics };

  const expectedId = basename(source.file).replace(/\.ya?ml$/, '');
  if (typeof raw.id === 'string' && raw.id !== expectedId) {
    compiler.error('rule-id', '/id', `rule id ${JSON.stringify(raw.id)} must match its file name ${JSON.stringify(expectedId)}`);
  }
  const resources = compileResources(compiler, raw.resources);
  const known = new Set<string>(BUILTIN_ROOTS);
  const bindings: CompiledBinding[] = [];
  const signatures = new Map<string, string>();
  if (isObject(raw.let)) {
    for (const [name, binding] of Object.entries(raw.let)) {
      const compiled = compileBinding(compiler, name, binding, `/let/${name}`, known, signatures);
      if (compiled !== undefined) {
        bindings.push(compiled);
        signatures.set(name, compiled.signature);
      }
      known.add(name);
    }
  }
  const when = compileList(compiler, raw.when, '/when', known);
  const assertions = compileList(compiler, raw.assert, '/assert', known);
  const messages = compileMessages(compiler, raw.message, withVerdict(known));
  const lookups = new Set(bindings.filter((b) => b.isLookup).map((b) => b.name));
  const fixes = (Array.isArray(raw.fix) ? raw.fix : raw.fix === undefined ? [] : [raw.fix]).flatMap(
    (fix, i) => compileFix(compiler, fix, Array.isArray(raw.fix) ? `/fix/${i}` : '/fix', withVerdict(known), lookups) ?? [],
  );
  if (compiler.diagnostics.length > 0 || resources === undefined) return { diagnostics: compiler.diagnostics };
  return {
    rule: {
      info: ruleInfo(raw, pack, params),
      file: source.file,
      idAt: source.locate('/id'),
      resourcesSignature: JSON.stringify(raw.resources),
      resources,
      bindings,
      when,
      assertions,
      messages,
      fixes,
    },
    diagnostics: [],
  };
}

function compileResources(compiler: RuleCompiler, raw: unknown): CompiledRule['resources'] | undefined {
  if (!isObject(raw) || typeof raw.path !== 'string' || typeof raw.id !== 'string' || typeof raw.type !== 'string') return undefined;
  const optional = (key: string) => (typeof raw[key] === 'string' ? compiler.field(raw[key] as string, `/resources/${key}`) : undefined);
  const path = compiler.path(raw.path, '/resources/path');
  const id = raw.id === '~' ? 'name' : compiler.field(raw.id, '/resources/id');
  if (path === undefined || id === undefined) return undefined;
  return { path, id, type: raw.type, name: optional('name'), account: optional('account'), region: optional('region') };
}

function compileList(compiler: RuleCompiler, raw: unknown, pointer: string, known: ReadonlySet<string>): CompiledAssertion[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item, i) => compileAssertion(compiler, item, `${pointer}/${i}`, known) ?? []);
}

function compileMessages(compiler: RuleCompiler, raw: unknown, known: ReadonlySet<string>): Partial<Record<Status, Template>> {
  if (typeof raw === 'string') {
    const template = compiler.template(raw, '/message', known);
    return Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, template]));
  }
  if (!isObject(raw)) return {};
  const out: Partial<Record<Status, Template>> = {};
  for (const status of MESSAGE_STATUSES) {
    if (typeof raw[status] === 'string') out[status] = compiler.template(raw[status] as string, `/message/${status}`, known);
  }
  return out;
}

function compileFix(
  compiler: RuleCompiler,
  raw: unknown,
  pointer: string,
  known: ReadonlySet<string>,
  lookups: ReadonlySet<string>,
): CompiledFix | undefined {
  if (!isObject(raw) || typeof raw.summary !== 'string') return undefined;
  const document = typeof raw.document === 'string' ? raw.document : undefined;
  if (document !== undefined && !lookups.has(document)) {
    compiler.error('unknown-binding', `${pointer}/document`, `fix.document must name a lookup binding, found ${JSON.stringify(document)}`);
  }
  return {
    summary: compiler.template(raw.summary, `${pointer}/summary`, known),
    statement: isObject(raw.statement) ? compileDeep(compiler, raw.statement, `${pointer}/statement`, known) : undefined,
    command: typeof raw.command === 'string' ? compiler.template(raw.command, `${pointer}/command`, known) : undefined,
    document,
    when: compileList(compiler, raw.when, `${pointer}/when`, known),
  };
}

/** A JSON value whose strings are templates: each leaf is rendered, the shape kept. */
function compileDeep(
  compiler: RuleCompiler,
  value: unknown,
  pointer: string,
  known: ReadonlySet<string>,
): (scope: Readonly<Record<string, unknown>>) => unknown {
  if (typeof value === 'string') {
    const template = compiler.template(value, pointer, known);
    return (scope) => template.render(scope);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileDeep(compiler, item, `${pointer}/${i}`, known));
    return (scope) => items.map((item) => item(scope));
  }
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, compileDeep(compiler, v, `${pointer}/${k}`, known)] as const);
    return (scope) => Object.fromEntries(entries.map(([k, render]) => [k, render(scope)]));
  }
  return () => value;
}

function ruleInfo(raw: Record<string, unknown>, pack: string, params: Readonly<Record<string, unknown>>): RuleInfo {
  const text = (key: string) => (typeof raw[key] === 'string' ? { [key]: raw[key] as string } : {});
  const strings = (key: string) => (Array.isArray(raw[key]) ? (raw[key] as string[]) : []);
  return {
    id: String(raw.id),
    title: String(raw.title),
    severity: raw.severity as Severity,
    pack,
    ...text('description'),
    ...text('rationale'),
    ...text('audit'),
    ...text('remediation'),
    references: strings('references'),
    controls: isObject(raw.controls) ? raw.controls : {},
    tags: strings('tags'),
    ...(Object.keys(params).length === 0 ? {} : { params: { ...params } }),
  };
}
