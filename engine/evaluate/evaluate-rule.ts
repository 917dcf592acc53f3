import { parseArn } from '../core/arn.js';
import { DataError, InternalError } from '../core/errors.js';
import { groupBy } from '../core/group-by.js';
import type { AssertionEvidence, Evidence, Finding, Fix, ResourceRef, Status } from '../core/model.js';
import { stableJson } from '../core/stable-json.js';
import { newCheckMemo } from '../iam/check-policy.js';
import type { OperatorContext } from '../operators/types.js';
import {
  type BindingOutcome,
  type CompiledAssertion,
  type CompiledFix,
  type CompiledRule,
  type EvaluationState,
  newRunCache,
  type RunCache,
} from '../rules/compiled-rule.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../snapshot/types.js';
import type { Template } from '../template/template.js';
import { compileTemplate } from '../template/template.js';
import { evaluateAssertion } from './evaluate-assertion.js';

export interface Resource {
  readonly ref: ResourceRef;
  readonly value: unknown;
  readonly snapshot: LoadedSnapshot;
  /** Why the copies of this resource disagree, when they do: every finding on it is then unknown. */
  readonly conflict?: string;
}

const DEFAULT_MESSAGES: Readonly<Record<Status, Template>> = {
  pass: compileTemplate('{{verdict.path}} {{verdict.reason}}'),
  fail: compileTemplate('{{verdict.path}} {{verdict.reason}}'),
  unknown: compileTemplate('cannot decide: {{verdict.reason}}'),
  skip: compileTemplate('does not apply: {{verdict.path}} {{verdict.reason}}'),
  waived: compileTemplate('waived'),
  error: compileTemplate('the rule could not be evaluated: {{verdict.reason}}'),
};

/** Evaluates a rule on every resource it selects in the snapshot set, one finding per resource. */
export function* evaluateRule(rule: CompiledRule, set: SnapshotSet): Generator<Finding> {
  yield* evaluateRules([rule], set);
}

/** The looked-up documents (keys, by ARN) that findings refer to, filled in as the findings are produced. */
export type Documents = Map<string, unknown>;

/**
 * Evaluates rules resource by resource: rules that select the same resources are grouped, each resource is found
 * once, and a binding several rules define alike (the trail's key, say) is computed once per resource.
 */
export function* evaluateRules(rules: readonly CompiledRule[], set: SnapshotSet, documents: Documents = new Map()): Generator<Finding> {
  const run = newRun(set, documents);
  for (const group of ruleGroups(rules)) yield* evaluateGroup(group, selectResources(group[0] as CompiledRule, set), run);
}

/** What one evaluation run keeps across resources: the operators' context (with its memo), caches, documents. */
export interface Run {
  readonly set: SnapshotSet;
  readonly context: OperatorContext;
  readonly cache: RunCache;
  readonly documents: Documents;
}

export function newRun(set: SnapshotSet, documents: Documents = new Map()): Run {
  return {
    set,
    context: {
      organisation: (account) => set.organisation(account),
      policyMemo: newCheckMemo(),
      unresolvedReason: (name) => set.unresolvedReason(name),
    },
    cache: newRunCache(),
    documents,
  };
}

/** The rules grouped by the resources they select, in the order of their first rule. */
export function ruleGroups(rules: readonly CompiledRule[]): CompiledRule[][] {
  return [...groupBy(rules, (rule) => rule.resourcesSignature).values()];
}

/** Every rule of a group on each of the resources, resource by resource, sharing bindings within a resource. */
export function* evaluateGroup(group: readonly CompiledRule[], resources: Iterable<Resource>, run: Run): Generator<Finding> {
  for (const resource of resources) {
    const shared = new Map<string, BindingOutcome>();
    for (const rule of group) yield evaluateResource(rule, resource, { ...run, shared });
  }
}

/**
 * The resources a rule selects across all snapshots, each once: the id is the identity (a trail listed by several
 * snapshots, or shadow copies of one trail, is evaluated once), preferring the copies from the resource's own
 * account. Copies that disagree leave the resource in conflict: which one is right cannot be told, so its findings
 * are unknown rather than a verdict that depends on the order of the entries.
 */
export function selectResources(rule: CompiledRule, set: SnapshotSet): Resource[] {
  const byId = new Map<string, Resource[]>();
  const spec = rule.resources;
  for (const snapshot of set.snapshots) {
    const found = spec.id === 'name' ? spec.path.named(snapshot.document) : spec.path.query(snapshot.document).map((value) => ({ value }));
    for (let i = 0; i < found.length; i++) {
      const { value, name: listedAs } = found[i] as { value: unknown; name?: string | number | undefined };
      const idValue = spec.id === 'name' ? (typeof listedAs === 'string' ? listedAs : undefined) : spec.id.query(value)[0];
      const id = typeof idValue === 'string' && idValue !== '' ? idValue : `${snapshot.path}#${spec.path.source}[${i}]`;
      const arn = parseArn(id);
      const text = (path: typeof spec.name) => {
        const v = path?.query(value)[0];
        return typeof v === 'string' ? v : undefined;
      };
      const name = text(spec.name);
      const ref: ResourceRef = {
        id,
        type: spec.type,
        account: text(spec.account) ?? arn?.account ?? snapshot.document.account.id,
        region: text(spec.region) ?? arn?.region ?? '',
        ...(name === undefined ? {} : { name }),
      };
      const copies = byId.get(id);
      if (copies === undefined) byId.set(id, [{ ref, value, snapshot }]);
      else copies.push({ ref, value, snapshot });
    }
  }
  return [...byId.values()].map(choose);
}

/** One resource from its copies: the own account's copies if any, which must agree with each other. */
function choose(copies: readonly Resource[]): Resource {
  const first = copies[0] as Resource;
  if (copies.length === 1) return first;
  const own = copies.filter((c) => c.snapshot.document.account.id === c.ref.account);
  const candidates = own.length > 0 ? own : copies;
  const chosen = candidates[0] as Resource;
  const canonical = stableJson(chosen.value);
  const differing = candidates.find((c) => stableJson(c.value) !== canonical);
  if (differing === undefined) return chosen;
  const fields = differingFields(chosen.value, differing.value);
  return {
    ...chosen,
    conflict: `${chosen.ref.id} is listed ${candidates.length} times with different contents (${fields} differ between ${chosen.snapshot.path} and ${differing.snapshot.path}): which copy is right cannot be told`,
  };
}

function differingFields(a: unknown, b: unknown): string {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  const names = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => stableJson(x[k]) !== stableJson(y[k])).sort();
  return names.length === 0 ? 'their values' : names.slice(0, 5).join(', ');
}

interface RunContext {
  readonly set: SnapshotSet;
  /** What operators may know of the run: the snapshots' record of each account's organisation. */
  readonly context: OperatorContext;
  readonly cache: RunCache;
  /** Binding outcomes of the current resource, by signature, shared by the rules evaluated on it. */
  readonly shared: Map<string, BindingOutcome>;
  readonly documents: Documents;
  readonly observer?: EvaluationObserver;
}

/** Watches one evaluation step by step (`trailguard explain`); evaluation itself never needs one. */
export interface EvaluationObserver {
  binding(name: string, outcome: BindingOutcome): void;
  /** Evaluates a `when` condition or an assertion through `evaluate`, seeing what it read and decided. */
  assertion(
    kind: 'when' | 'assert',
    index: number,
    assertion: CompiledAssertion,
    state: EvaluationState,
    /** Evaluates it, sending the trace of each policy request to `trace` when given. */
    evaluate: (trace?: OperatorContext['trace']) => AssertionEvidence,
  ): AssertionEvidence;
}

/** Evaluates one rule on one resource, reporting each step to the observer. */
export function evaluateObserved(rule: CompiledRule, resource: Resource, set: SnapshotSet, observer: EvaluationObserver): Finding {
  return evaluateResource(rule, resource, {
    set,
    shared: new Map(),
    documents: new Map(),
    observer,
    context: { organisation: (account) => set.organisation(account), unresolvedReason: (name) => set.unresolvedReason(name) },
    cache: newRunCache(),
  });
}

function evaluateResource(rule: CompiledRule, resource: Resource, run: RunContext): Finding {
  const scope: Record<string, unknown> = { resource: resource.value, snapshot: resource.snapshot.document };
  const state: EvaluationState = {
    scope,
    unresolved: new Map(),
    set: run.set,
    snapshot: resource.snapshot,
    resource: resource.ref,
    context: run.context,
    cache: run.cache,
  };
  const lookups: Record<string, string | null> = {};
  const ids: Record<string, string> = {};
  const at: Evaluation = { rule, resource, state, ids };
  if (resource.conflict !== undefined) {
    const conflict: AssertionEvidence = {
      path: rule.resources.id === 'name' ? '~' : rule.resources.id.source,
      op: 'identity',
      status: 'unknown',
      reason: resource.conflict,
    };
    return finding(at, { status: 'unknown', deciding: conflict, evidence: { assertions: [conflict] } });
  }
  try {
    for (const binding of rule.bindings) {
      let outcome = run.shared.get(binding.signature);
      if (outcome === undefined) {
        outcome = binding.evaluate(state);
        run.shared.set(binding.signature, outcome);
      }
      run.observer?.binding(binding.name, outcome);
      if (outcome.ok) scope[binding.name] = outcome.value;
      else {
        scope[binding.name] = null;
        state.unresolved.set(binding.name, outcome.reason);
      }
      // Each resolved document is named once, under the first binding that found it.
      const id = outcome.ok ? (outcome.id ?? null) : null;
      if (binding.isLookup && (id === null || !Object.values(lookups).includes(id))) lookups[binding.name] = id;
      if (id !== null) {
        ids[binding.name] = id;
        if (!run.documents.has(id)) run.documents.set(id, outcome.ok ? outcome.value : null);
      }
    }
    const hasLookups = Object.keys(lookups).length > 0;
    const observe = (kind: 'when' | 'assert', a: CompiledAssertion, i: number) =>
      run.observer === undefined
        ? evaluateAssertion(a, state)
        : run.observer.assertion(kind, i, a, state, (trace) =>
            evaluateAssertion(a, trace === undefined ? state : { ...state, context: { ...state.context, trace } }),
          );
    const when = rule.when.map((w, i) => observe('when', w, i));
    const blocking = when.find((w) => w.status !== 'pass');
    if (blocking !== undefined) {
      const status = blocking.status === 'unknown' ? 'unknown' : 'skip';
      return finding(at, { status, deciding: blocking, evidence: { when, ...(hasLookups && status === 'unknown' ? { lookups } : {}) } });
    }
    // An assertion reading a looked-up document names it, so reports can show the statements it refers to.
    const assertions = rule.assertions.map((a, i) => {
      const evidence = observe('assert', a, i);
      const document = a.target.root === undefined ? undefined : ids[a.target.root];
      return document === undefined ? evidence : { ...evidence, document };
    });
    const deciding =
      assertions.find((a) => a.status === 'fail') ?? assertions.find((a) => a.status === 'unknown') ?? (assertions[0] as AssertionEvidence);
    const message = rule.assertions[assertions.indexOf(deciding)]?.message;
    return finding(at, {
      status: deciding.status,
      deciding,
      evidence: { assertions, ...(hasLookups ? { lookups } : {}) },
      ...(message === undefined ? {} : { message }),
    });
  } catch (error) {
    const reason = dataProblem(error);
    if (reason === undefined) {
      throw new InternalError(`evaluating rule ${rule.info.id} on ${resource.ref.id}: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
    return finding(at, { status: 'error', deciding: { path: '', op: '', status: 'unknown', reason }, evidence: { error: reason } });
  }
}

/** Why a known data problem stopped the rule, or undefined when the exception is a bug. */
function dataProblem(error: unknown): string | undefined {
  if (error instanceof DataError) return error.message;
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return 'the data is nested too deeply to search: evaluation ran out of stack (a path with .. or * met a document nested thousands of levels deep)';
  return undefined;
}

/** One rule on one resource, as it is being evaluated. */
interface Evaluation {
  readonly rule: CompiledRule;
  readonly resource: Resource;
  readonly state: EvaluationState;
  /** The document each lookup binding resolved to, by binding name. */
  readonly ids: Readonly<Record<string, string>>;
}

/** What decided a finding: its status, the step that decided it and the evidence gathered. */
interface Verdict {
  readonly status: Status;
  readonly deciding: AssertionEvidence;
  readonly evidence: Evidence;
  /** The deciding assertion's own message, used when it fails. */
  readonly message?: Template;
}

function finding({ rule, resource, state, ids }: Evaluation, { status, deciding, evidence, message: own }: Verdict): Finding {
  const template = (status === 'fail' ? own : undefined) ?? rule.messages[status] ?? DEFAULT_MESSAGES[status];
  // The scope belongs to this one evaluation, so the message's names are added to it rather than copied.
  state.scope.verdict = { status, reason: deciding.reason, path: deciding.path, observed: deciding.observed, details: deciding.details };
  state.scope.rule = rule.info;
  const message = template.render(state.scope);
  const result: Finding = { ruleId: rule.info.id, severity: rule.info.severity, resource: resource.ref, status, message, evidence };
  if (status !== 'fail') return result;
  // The first fix whose conditions hold: an AWS managed key is replaced, a disabled key enabled, and so on.
  const fix = rule.fixes.find((f) => f.when.every((w) => evaluateAssertion(w, state).status === 'pass'));
  return fix === undefined ? result : { ...result, fix: renderFix(fix, state.scope, ids) };
}

function renderFix(fix: CompiledFix, scope: Readonly<Record<string, unknown>>, ids: Readonly<Record<string, string>>): Fix {
  const document = fix.document === undefined ? undefined : ids[fix.document];
  return {
    summary: fix.summary.render(scope),
    ...(fix.statement === undefined ? {} : { statement: fix.statement(scope) }),
    ...(fix.command === undefined ? {} : { command: fix.command.render(scope) }),
    ...(document === undefined ? {} : { document }),
  };
}
