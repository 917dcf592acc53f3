import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { combineErrors, type Diagnostic, quote, TrailguardError } from '../core/errors.js';
import type { AssertionEvidence, Finding, Status } from '../core/model.js';
import { evaluateRule, selectResources } from '../evaluate/evaluate-rule.js';
import { displayName, readYamlFile, schemaProblems } from '../input/documents.js';
import { namedOutsidePack, outsidePack, type PackBounds } from '../input/pack-bounds.js';
import type { YamlSource } from '../input/yaml-source.js';
import type { CompiledRule } from '../rules/compiled-rule.js';
import { loadRulePacks, type RulePack } from '../rules/load-rules.js';
import type { ParamOverride, ParamOverrides } from '../rules/params.js';
import { isObject } from '../rules/rule-compiler.js';
import { loadSnapshot, snapshotFromData } from '../snapshot/load-snapshot.js';
import { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../snapshot/types.js';

/** The test file of a rule sits beside it: `<rule-id>.tests.yaml`. */
export const TESTS_SUFFIX = '.tests.yaml';

/** The account an inline snapshot fragment belongs to unless it says otherwise. */
export const DEFAULT_TEST_ACCOUNT = '111122223333';

interface Expectation {
  readonly status: Status;
  readonly message?: string;
}

/** One test of one rule, read and checked, ready to run. */
export interface RuleTest {
  readonly ruleId: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly snapshots: readonly LoadedSnapshot[];
  readonly params: ParamOverrides;
  readonly expect: ReadonlyMap<string, Expectation>;
}

export interface TestOutcome {
  readonly ruleId: string;
  readonly name: string;
  /** Where the test is written: `file:line`. */
  readonly at: string;
  /** Why the test failed, one line per resource; empty when it passed. */
  readonly problems: readonly string[];
}

/** Per rule: the statuses its tests saw it give, and what they never exercised. */
export interface RuleCoverage {
  readonly ruleId: string;
  readonly tests: number;
  readonly statuses: readonly Status[];
  /** Assertions never seen both true and false, and statuses the rule can give that no test produced. */
  readonly gaps: readonly string[];
}

/** The outcome of `runRuleTests`: each test, the coverage of each rule, and the rules without tests. */
export interface TestRun {
  readonly outcomes: readonly TestOutcome[];
  readonly coverage: readonly RuleCoverage[];
  /** Rules that have no tests file, with the file their tests would go in. */
  readonly untested: readonly { readonly ruleId: string; readonly file: string }[];
}

/**
 * Loads the rule packs and the tests beside their rules, runs every test and measures what the tests exercised.
 * Bad rules or test files are thrown together, located, before anything runs.
 */
export async function runRuleTests(paths: readonly string[], options: { allowOutsidePack?: boolean } = {}): Promise<TestRun> {
  const packs = await loadRulePacks(paths, options);
  const loaded = await Promise.allSettled(packs.map((pack) => loadPackTests(pack)));
  const failure = combineErrors(loaded.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
  if (failure !== undefined) throw failure;
  const outcomes: TestOutcome[] = [];
  const coverage: RuleCoverage[] = [];
  const untested: { ruleId: string; file: string }[] = [];
  packs.forEach((pack, i) => {
    const tests = (loaded[i] as PromiseFulfilledResult<RuleTest[]>).value;
    for (const rule of pack.rules) {
      const own = tests.filter((t) => t.ruleId === rule.info.id);
      if (own.length === 0) {
        untested.push({ ruleId: rule.info.id, file: testsFileOf(rule) });
        continue;
      }
      const seen = new Coverage(rule);
      for (const test of own) outcomes.push(runTest(pack, rule, test, seen));
      coverage.push(seen.report(own.length));
    }
  });
  return { outcomes, coverage, untested };
}

/** Reads and checks every tests file of a pack (every problem of every file, together). */
export async function loadPackTests(pack: RulePack): Promise<RuleTest[]> {
  const names = (await readdir(pack.folder)).filter((name) => name.endsWith(TESTS_SUFFIX)).sort();
  const ids = pack.ruleIds;
  const diagnostics: Diagnostic[] = [];
  const errors: unknown[] = [];
  const tests: RuleTest[] = [];
  for (const name of names) {
    const ruleId = name.slice(0, -TESTS_SUFFIX.length);
    const file = displayName(join(pack.folder, name));
    if (!ids.has(ruleId)) {
      // A single rule file given as the pack only brings its own tests.
      if (/\.ya?ml$/.test(pack.source)) continue;
      diagnostics.push({
        code: 'rule-tests',
        file,
        line: 1,
        column: 1,
        message: `tests for rule ${JSON.stringify(ruleId)}, which pack ${pack.name} does not hold: name the file <rule-id>${TESTS_SUFFIX}`,
      });
      continue;
    }
    const outside = await outsidePack(pack.bounds, join(pack.folder, name), 'rule tests file');
    if (outside !== undefined) {
      diagnostics.push({ ...outside, file });
      continue;
    }
    try {
      const read = await readTestsFile(file, ruleId, pack.bounds, diagnostics);
      tests.push(...read);
      // A test's parameter values are checked against the rule now, not when the test runs.
      if (pack.rules.some((r) => r.info.id === ruleId)) {
        for (const test of read) {
          if (test.params.size === 0) continue;
          try {
            pack.withParams(ruleId, test.params);
          } catch (error) {
            errors.push(error);
          }
        }
      }
    } catch (error) {
      errors.push(error);
    }
  }
  const failure = combineErrors(errors, diagnostics);
  if (failure !== undefined) throw failure;
  return tests;
}

async function readTestsFile(file: string, ruleId: string, bounds: PackBounds, diagnostics: Diagnostic[]): Promise<RuleTest[]> {
  const parsed = await readYamlFile(file, 'rule tests file', file);
  diagnostics.push(...parsed.diagnostics);
  const source = parsed.source;
  if (source === undefined) return [];
  const problems = schemaProblems('rule-tests-v1.schema.json', source, 'rule-tests');
  diagnostics.push(...problems);
  if (problems.length > 0 || !isObject(source.data)) return [];
  const out: RuleTest[] = [];
  const items = source.data.tests as Record<string, unknown>[];
  for (const [i, item] of items.entries()) {
    const pointer = `/tests/${i}`;
    const inputs = inputsOf(source, item, pointer, diagnostics);
    const snapshots: LoadedSnapshot[] = [];
    for (const input of inputs) {
      try {
        snapshots.push(await loadInput(source, input.value, input.pointer, bounds));
      } catch (error) {
        if (!(error instanceof TrailguardError)) throw error;
        diagnostics.push(...error.diagnostics);
      }
    }
    const params = new Map<string, Map<string, ParamOverride>>();
    if (isObject(item.params)) {
      const values = new Map<string, ParamOverride>();
      for (const [name, value] of Object.entries(item.params)) {
        values.set(name, { value, at: { file, ...source.locate(`${pointer}/params/${name}`) } });
      }
      params.set(ruleId, values);
    }
    const expect = new Map<string, Expectation>();
    for (const [id, value] of Object.entries(item.expect as Record<string, unknown>)) {
      expect.set(id, typeof value === 'string' ? { status: value as Status } : (value as Expectation));
    }
    out.push({ ruleId, name: String(item.name), file, line: source.locate(pointer).line, snapshots, params, expect });
  }
  return out;
}

function inputsOf(
  source: YamlSource,
  item: Record<string, unknown>,
  pointer: string,
  diagnostics: Diagnostic[],
): { value: unknown; pointer: string }[] {
  if ((item.snapshot === undefined) === (item.snapshots === undefined)) {
    diagnostics.push(source.problem('rule-tests', pointer, `test ${JSON.stringify(item.name)} needs exactly one of snapshot or snapshots`));
    return [];
  }
  if (item.snapshot !== undefined) return [{ value: item.snapshot, pointer: `${pointer}/snapshot` }];
  return (item.snapshots as unknown[]).map((value, i) => ({ value, pointer: `${pointer}/snapshots/${i}` }));
}

/** A snapshot file (relative to the tests file) or an inline fragment, completed into a whole snapshot. */
async function loadInput(source: YamlSource, value: unknown, pointer: string, bounds: PackBounds): Promise<LoadedSnapshot> {
  if (typeof value === 'string') {
    const named = namedOutsidePack(bounds, value);
    if (named !== undefined) throw new TrailguardError(source.problem('outside-pack', pointer, `snapshot ${quote(value)} ${named}`));
    const absolute = resolve(dirname(source.file), value);
    const outside = await outsidePack(bounds, absolute, `snapshot ${quote(value)}`);
    if (outside !== undefined) throw new TrailguardError(source.problem('outside-pack', pointer, outside.message));
    const path = displayName(absolute);
    return loadSnapshot(path).catch((error: unknown) => {
      // A file that cannot be read is reported where the test names it; problems inside it, where they are.
      if (!(error instanceof TrailguardError) || error.diagnostics.some((d) => d.line !== undefined)) throw error;
      throw new TrailguardError(
        error.diagnostics.map((d) => source.problem(d.code, pointer, `snapshot ${JSON.stringify(value)} (${path}): ${d.message}`)),
        { cause: error },
      );
    });
  }
  const fragment = value as Record<string, unknown>;
  const data = {
    schemaVersion: 1,
    trails: [],
    keys: {},
    ...fragment,
    ...(isObject(fragment.keys) ? { keys: withKeyDefaults(fragment.keys) } : {}),
    account: { id: DEFAULT_TEST_ACCOUNT, partition: 'aws', ...(isObject(fragment.account) ? fragment.account : {}) },
  };
  const line = source.locate(pointer).line;
  return snapshotFromData(data, {
    path: `${source.file}:${line}`,
    sha256: '',
    file: source.file,
    locate: (inner, atKey) => source.locate(`${pointer}${inner}`, atKey),
  });
}

/** A key entry of a fragment need only give what the test is about: metadata, policy and error default to null. */
function withKeyDefaults(keys: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [arn, entry] of Object.entries(keys))
    out[arn] = isObject(entry) ? { metadata: null, policy: null, error: null, ...entry } : entry;
  return out;
}

/**
 * Expectations a test can never meet because its snapshot holds no such resource for the rule (a misspelt ARN, a
 * resource the fragment forgot): `validate` warns about them before `test` fails them.
 */
export function unusedExpectations(pack: RulePack, tests: readonly RuleTest[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const test of tests) {
    const base = pack.rules.find((r) => r.info.id === test.ruleId);
    if (base === undefined) continue;
    let rule = base;
    try {
      rule = test.params.size === 0 ? base : pack.withParams(base.info.id, test.params);
    } catch (error) {
      if (!(error instanceof TrailguardError)) throw error;
    }
    const selected = new Set(selectResources(rule, new SnapshotSet(test.snapshots)).map((r) => r.ref.id));
    for (const id of test.expect.keys()) {
      if (selected.has(id)) continue;
      out.push({
        code: 'unused-expectation',
        severity: 'warning',
        file: test.file,
        line: test.line,
        column: 3,
        message: `test ${JSON.stringify(test.name)} expects a finding for ${id}, but its snapshot holds no such resource for ${test.ruleId} (it has ${selected.size === 0 ? 'none' : [...selected].join(', ')})`,
      });
    }
  }
  return out;
}

function runTest(pack: RulePack, base: CompiledRule, test: RuleTest, coverage: Coverage): TestOutcome {
  const rule = test.params.size === 0 ? base : pack.withParams(base.info.id, test.params);
  const findings = new Map<string, Finding>();
  for (const finding of evaluateRule(rule, new SnapshotSet(test.snapshots))) {
    findings.set(finding.resource.id, finding);
    coverage.add(finding);
  }
  const problems: string[] = [];
  for (const [id, expected] of test.expect) {
    const finding = findings.get(id);
    if (finding === undefined) {
      const ids = [...findings.keys()];
      problems.push(
        `${id}: expected ${expected.status}, but the rule selected no such resource (it selected ${ids.length === 0 ? 'none' : ids.join(', ')})`,
      );
    } else if (finding.status !== expected.status) {
      problems.push(`${id}: expected ${expected.status}, got ${finding.status}: ${finding.message}`);
    } else if (expected.message !== undefined && !finding.message.includes(expected.message)) {
      problems.push(`${id}: the message does not contain ${JSON.stringify(expected.message)}: ${finding.message}`);
    }
  }
  return { ruleId: rule.info.id, name: test.name, at: `${test.file}:${test.line}`, problems };
}

/** What the tests of one rule made each of its conditions and assertions do. */
class Coverage {
  private readonly statuses = new Set<Status>();
  private readonly when: Set<string>[];
  private readonly assertions: Set<string>[];

  constructor(private readonly rule: CompiledRule) {
    this.when = rule.when.map(() => new Set());
    this.assertions = rule.assertions.map(() => new Set());
  }

  add(finding: Finding): void {
    this.statuses.add(finding.status);
    const { when, assertions } = finding.evidence;
    // The conditions are in the evidence only when one of them stopped the rule; assertions ran, so all held.
    if (when === undefined && assertions !== undefined) for (const seen of this.when) seen.add('pass');
    record(this.when, when);
    record(this.assertions, assertions);
  }

  report(tests: number): RuleCoverage {
    const gaps: string[] = [];
    const check = (kind: string, list: readonly { target: { text: string }; op: string }[], seen: readonly Set<string>[]) => {
      list.forEach((a, i) => {
        const never = ['pass', 'fail'].filter((s) => !seen[i]?.has(s)).map((s) => (s === 'pass' ? 'true' : 'false'));
        if (never.length > 0) gaps.push(`${kind}[${i}] (${a.target.text} ${a.op}) was never ${never.join(' nor ')}`);
      });
    };
    check('when', this.rule.when, this.when);
    check('assert', this.rule.assertions, this.assertions);
    for (const status of possibleStatuses(this.rule)) {
      if (!this.statuses.has(status)) gaps.push(`no test made it ${status}`);
    }
    return { ruleId: this.rule.info.id, tests, statuses: [...this.statuses].sort(), gaps };
  }
}

function record(seen: Set<string>[], evidence: readonly AssertionEvidence[] | undefined): void {
  evidence?.forEach((e, i) => {
    seen[i]?.add(e.status);
  });
}

/**
 * The statuses a rule can give, as far as its shape tells: pass and fail always; skip when it has `when`
 * conditions; unknown when it reads a lookup (the document may be in no snapshot, or lack what it requires).
 */
export function possibleStatuses(rule: CompiledRule): Status[] {
  const out: Status[] = ['pass', 'fail'];
  if (rule.when.length > 0) out.push('skip');
  if (rule.bindings.some((b) => b.isLookup)) out.push('unknown');
  return out;
}

function testsFileOf(rule: CompiledRule): string {
  return rule.file.replace(/\.ya?ml$/, TESTS_SUFFIX);
}
