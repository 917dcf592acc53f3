import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { combineErrors, type Diagnostic, TrailguardError } from '../core/errors.js';
import { groupBy } from '../core/group-by.js';
import { packagePath } from '../core/package-root.js';
import { displayName, readYamlFile, schemaProblems } from '../input/documents.js';
import { outsidePack, type PackBounds, packBounds } from '../input/pack-bounds.js';
import type { YamlSource } from '../input/yaml-source.js';
import { compileRule } from './compile-rule.js';
import type { CompiledRule } from './compiled-rule.js';
import { mergeOverrides, type ParamOverrides, readOverrides } from './params.js';
import { isObject } from './rule-compiler.js';
import { unusedNames } from './unused.js';

/** A set of rules loaded from one folder (or file), with the name and version the results record. */
export interface RulePack {
  readonly name: string;
  readonly version: string;
  /** `built-in`, or the path it was loaded from. */
  readonly source: string;
  readonly rules: readonly CompiledRule[];
  /** The folder the pack's files are in (its rule tests are found there). */
  readonly folder: string;
  /** What the pack's files may read: its folder only, unless files outside it were allowed. */
  readonly bounds: PackBounds;
  /** The id of every rule file in the pack, also of those that did not compile. */
  readonly ruleIds: ReadonlySet<string>;
  /** What `validate` warns about: parameters and bindings a rule declares but never reads. */
  readonly warnings: readonly Diagnostic[];
  /**
   * One of the pack's rules compiled again with further parameter values (a rule test's), which win over pack.yaml
   * and the params file. Throws the problems when the values do not fit the rule.
   */
  withParams(ruleId: string, extra: ParamOverrides): CompiledRule;
}

/** The folder of the built-in pack, `cis-cloudtrail-kms`: give it to `loadRulePacks` or `runRuleTests` like any pack. */
export const BUILTIN_PACK_DIR = packagePath('rules', 'cis-cloudtrail-kms');

/** Files in a pack folder that are not rules: the pack's own metadata and rule tests. */
function isRuleFile(name: string): boolean {
  return /\.ya?ml$/.test(name) && !/^pack\.ya?ml$/.test(name) && !/\.tests?\.ya?ml$/.test(name);
}

/**
 * Loads rule packs (folders of rule files, or single rule files). Every problem in every file is collected —
 * YAML syntax, schema, operators, paths, duplicate ids — sorted, and thrown together.
 */
export async function loadRulePacks(paths: readonly string[], options: LoadOptions = {}): Promise<RulePack[]> {
  const { packs, failure } = await loadRulePacksChecked(paths, options);
  if (failure !== undefined) throw failure;
  return packs;
}

/**
 * Loads rule packs, keeping going past problems: the packs found (holding the rules that compiled) and, when
 * anything was wrong, every problem. `validate` uses it to check the packs' tests files too.
 */
export async function loadRulePacksChecked(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<{ packs: RulePack[]; failure: TrailguardError | undefined }> {
  const diagnostics: Diagnostic[] = [];
  const packs: RulePack[] = [];
  const errors: unknown[] = [];
  let fileOverrides: ParamOverrides = new Map();
  if (options.params !== undefined) {
    try {
      fileOverrides = await readParamsFile(options.params, diagnostics);
    } catch (error) {
      errors.push(error);
    }
  }
  const ids = new Set<string>();
  for (const path of paths) {
    try {
      packs.push(await loadPack(path, { diagnostics, fileOverrides, seen: ids, allowOutside: options.allowOutsidePack === true }));
    } catch (error) {
      errors.push(error);
    }
  }
  const rules = packs.flatMap((p) => p.rules);
  const failure = combineErrors(errors, [...diagnostics, ...duplicateIds(rules), ...unknownRules(fileOverrides, ids, 'the params file')]);
  return { packs, failure };
}

export interface LoadOptions {
  /** A YAML file of parameter values, `{ <rule-id>: { <param>: value } }`, overriding defaults and pack.yaml. */
  readonly params?: string | undefined;
  /** Let a pack's files be symbolic links out of it, and its tests name snapshots outside it. */
  readonly allowOutsidePack?: boolean;
}

async function readParamsFile(file: string, diagnostics: Diagnostic[]): Promise<ParamOverrides> {
  const parsed = await readYamlFile(file, 'params file');
  diagnostics.push(...parsed.diagnostics);
  if (parsed.source === undefined) return new Map();
  return readOverrides(parsed.source, parsed.source.data ?? {}, '', diagnostics);
}

/** Overrides that name a rule no pack loaded: a misspelt id would otherwise be ignored without a word. */
function unknownRules(overrides: ParamOverrides, ids: ReadonlySet<string>, where: string): Diagnostic[] {
  return [...overrides].flatMap(([ruleId, values]) => {
    const first = values.values().next().value;
    if (ids.has(ruleId) || first === undefined) return [];
    return [
      {
        code: 'rule-schema' as const,
        ...first.at,
        message: `${where} sets parameters of ${JSON.stringify(ruleId)}, which is not a loaded rule`,
      },
    ];
  });
}

interface PackLoad {
  readonly diagnostics: Diagnostic[];
  readonly fileOverrides: ParamOverrides;
  /** Rule ids met so far, over every pack. */
  readonly seen: Set<string>;
  readonly allowOutside: boolean;
}

async function loadPack(path: string, load: PackLoad): Promise<RulePack> {
  const { diagnostics, fileOverrides, seen } = load;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new TrailguardError(
      {
        code: error.code === 'ENOENT' ? 'file-not-found' : 'file-unreadable',
        file: path,
        message: `rule pack not found: no such file or folder`,
      },
      { cause: error },
    );
  });
  const folder = info.isDirectory() ? path : dirname(path);
  const bounds = await packBounds(folder, load.allowOutside);
  const meta = await packMetadata(folder, bounds, diagnostics);
  const files = info.isDirectory() ? ordered((await readdir(path)).filter(isRuleFile), meta.order).map((f) => join(path, f)) : [path];
  const source = path === BUILTIN_PACK_DIR ? 'built-in' : path;
  const name = meta.name ?? basename(folder);
  const rules: CompiledRule[] = [];
  const packIds = new Set<string>();
  const sources = new Map<string, YamlSource>();
  const warnings: Diagnostic[] = [];
  for (const file of files) {
    const shown = displayName(file);
    // A rule file given by the user is read as given; the files found in a pack folder must be the pack's own.
    const outside = info.isDirectory() ? await outsidePack(bounds, file, 'rule file') : undefined;
    if (outside !== undefined) {
      diagnostics.push({ ...outside, file: shown });
      continue;
    }
    const parsed = await readYamlFile(file, 'rule file', shown);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.source === undefined) continue;
    const data = parsed.source.data;
    const id = isObject(data) && typeof data.id === 'string' ? data.id : '';
    seen.add(id);
    packIds.add(id);
    sources.set(id, parsed.source);
    const overrides = mergeOverrides(meta.params, fileOverrides).get(id);
    const compiled = compileRule(parsed.source, name, overrides);
    diagnostics.push(...compiled.diagnostics);
    warnings.push(...unusedNames(parsed.source));
    if (compiled.rule !== undefined) rules.push(compiled.rule);
  }
  diagnostics.push(...unknownRules(meta.params, packIds, 'pack.yaml'));
  if (files.length === 0) diagnostics.push({ code: 'no-rules', file: path, message: 'the rule pack holds no rule files (*.yaml)' });
  const withParams = (ruleId: string, extra: ParamOverrides): CompiledRule => {
    const ruleSource = sources.get(ruleId);
    if (ruleSource === undefined) throw new Error(`no rule ${ruleId} in pack ${name}`);
    const compiled = compileRule(ruleSource, name, mergeOverrides(meta.params, fileOverrides, extra).get(ruleId));
    if (compiled.rule === undefined) throw new TrailguardError(compiled.diagnostics);
    return compiled.rule;
  };
  return { name, version: meta.version ?? 'unversioned', source, rules, folder, bounds, ruleIds: packIds, warnings, withParams };
}

/** Rule files in the order pack.yaml lists their ids, then the rest by name. */
function ordered(files: readonly string[], order: readonly string[]): string[] {
  const rank = (file: string) => {
    const i = order.indexOf(file.replace(/\.ya?ml$/, ''));
    return i < 0 ? order.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

interface PackMetadata {
  readonly name?: string;
  readonly version?: string;
  readonly order: readonly string[];
  readonly params: ParamOverrides;
}

async function packMetadata(folder: string, bounds: PackBounds, diagnostics: Diagnostic[]): Promise<PackMetadata> {
  const file = join(folder, 'pack.yaml');
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) return { order: [], params: new Map() };
  const shown = displayName(file);
  const outside = await outsidePack(bounds, file, 'pack file');
  if (outside !== undefined) {
    diagnostics.push({ ...outside, file: shown });
    return { order: [], params: new Map() };
  }
  const parsed = await readYamlFile(file, 'pack file', shown);
  diagnostics.push(...parsed.diagnostics);
  if (parsed.source === undefined) return { order: [], params: new Map() };
  const source = parsed.source;
  diagnostics.push(...schemaProblems('pack-v1.schema.json', source, 'rule-schema', 'pack.yaml: '));
  const data = source.data;
  if (!isObject(data)) return { order: [], params: new Map() };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const name = text(data.name);
  const version = text(data.version);
  return {
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
    order: Array.isArray(data.rules) ? data.rules.map(String) : [],
    params: readOverrides(source, data.params, '/params', diagnostics),
  };
}

function duplicateIds(rules: readonly CompiledRule[]): Diagnostic[] {
  return [...groupBy(rules, (rule) => rule.info.id).values()]
    .filter((list) => list.length > 1)
    .flatMap((list) =>
      list.map((rule) => ({
        code: 'duplicate-rule' as const,
        file: rule.file,
        ...rule.idAt,
        message: `rule id ${JSON.stringify(rule.info.id)} is defined more than once (${list
          .filter((r) => r !== rule)
          .map((r) => `${r.file}:${r.idAt.line}`)
          .join(', ')})`,
      })),
    );
}
