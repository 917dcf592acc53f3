import { parseArn } from '../arn.js';
import { groupBy } from '../group-by.js';
import type { AssertionEvidence, Evidence, Finding, Fix, ResourceRef, Status } from '../model.js';
import { ORGANISATIONS } from '../operators/iam-policy.js';
import type { BindingOutcome, CompiledAssertion, CompiledFix, CompiledRule, EvaluationState } from '../rules/compiled-rule.js';
import type { Template } from '../rules/template.js';
import { compileTemplate } from '../rules/template.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../snapshot/types.js';
import { evaluateAssertion } from './evaluate-assertion.js';

export interface Resource {
  readonly ref: ResourceRef;
  readonly value: unknown;
  readonly snapshot: LoadedSnapshot;
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
  const groups = groupBy(rules, (rule) => rule.resourcesSignature);
  const organisations = (account: string) => set.organisation(account);
  for (const group of groups.values()) {
    for (const resource of selectResources(group[0] as CompiledRule, set)) {
      const shared = new Map<string, BindingOutcome>();
      for (const rule of group) yield evaluateResource(rule, resource, { set, shared, documents, organisations });
    }
  }
}

/**
 * The resources a rule selects across all snapshots, each once: the id is the identity (a trail listed by several
 * snapshots, or shadow copies of one trail, is evaluated once), preferring the copy from the resource's own account.
 */
export function selectResources(rule: CompiledRule, set: SnapshotSet): Resource[] {
  const byId = new Map<string, Resource>();
  const spec = rule.resources;
  for (const snapshot of set.snapshots) {
    const found = spec.path.query(snapshot.document);
    for (let i = 0; i < found.length; i++) {
      const value = found[i];
      const idValue = spec.id.query(value)[0];
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
      const existing = byId.get(id);
      const own = snapshot.document.account.id === ref.account;
      if (existing === undefined || (own && existing.snapshot.document.account.id !== ref.account)) byId.set(id, { ref, value, snapshot });
    }
  }
  return [...byId.values()];
}

interface RunContext {
  readonly set: SnapshotSet;
  /** What the snapshots say of an account's organisation, for policy operators. */
  readonly organisations: SnapshotSet['organisation'];
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
    evaluate: () => AssertionEvidence,
  ): AssertionEvidence;
}

/** Evaluates one rule on one resource, reporting each step to the observer. */
export function evaluateObserved(rule: CompiledRule, resource: Resource, set: SnapshotSet, observer: EvaluationObserver): Finding {
  return evaluateResource(rule, resource, {
    set,
    shared: new Map(),
    documents: new Map(),
    observer,
    organisations: (account) => set.organisation(account),
  });
}

function evaluateResource(rule: CompiledRule, resource: Resource, run: RunContext): Finding {
  const scope: Record<string | symbol, unknown> = {
    resource: resource.value,
    snapshot: resource.snapshot.document,
    [ORGANISATIONS]: run.organisations,
  };
  const state: EvaluationState = { scope, unresolved: new Map(), set: run.set, snapshot: resource.snapshot, resource: resource.ref };
  const lookups: Record<string, string | null> = {};
  const ids: Record<string, string> = {};
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
        : run.observer.assertion(kind, i, a, state, () => evaluateAssertion(a, state));
    const when = rule.when.map((w, i) => observe('when', w, i));
    const blocking = when.find((w) => w.status !== 'pass');
    if (blocking !== undefined) {
      const status = blocking.status === 'unknown' ? 'unknown' : 'skip';
      return finding(
        rule,
        resource,
        status,
        blocking,
        { when, ...(hasLookups && status === 'unknown' ? { lookups } : {}) },
        state,
        undefined,
        ids,
      );
    }
    // An assertion reading a looked-up document names it, so reports can show the statements it refers to.
    const assertions = rule.assertions.map((a, i) => {
      const evidence = observe('assert', a, i);
      const document = a.target.root === undefined ? undefined : ids[a.target.root];
      return document === undefined ? evidence : { ...evidence, document };
    });
    const deciding =
      assertions.find((a) => a.status === 'fail') ?? assertions.find((a) => a.status === 'unknown') ?? (assertions[0] as AssertionEvidence);
    const index = assertions.indexOf(deciding);
    return finding(
      rule,
      resource,
      deciding.status,
      deciding,
      { assertions, ...(hasLookups ? { lookups } : {}) },
      state,
      rule.assertions[index]?.message,
      ids,
    );
  } catch (error) {
    const reason =
      error instanceof RangeError && /call stack/i.test(error.message)
        ? 'the data is nested too deeply to search: evaluation ran out of stack (a path with .. or * met a document nested thousands of levels deep)'
        : (error as Error).message;
    return finding(rule, resource, 'error', { path: '', op: '', status: 'unknown', reason }, { error: reason }, state, undefined, ids);
  }
}

function finding(
  rule: CompiledRule,
  resource: Resource,
  status: Status,
  deciding: AssertionEvidence,
  evidence: Evidence,
  state: EvaluationState,
  assertionMessage: Template | undefined,
  ids: Readonly<Record<string, string>>,
): Finding {
  const template = (status === 'fail' ? assertionMessage : undefined) ?? rule.messages[status] ?? DEFAULT_MESSAGES[status];
  // The scope belongs to this one evaluation, so the message's names are added to it rather than copied.
  state.scope.verdict = { status, reason: deciding.reason, path: deciding.path, observed: deciding.observed };
  state.scope.rule = rule.info;
  const message = template.render(state.scope);
  const result: Finding = { ruleId: rule.info.id, severity: rule.info.severity, resource: resource.ref, status, message, evidence };
  return status === 'fail' && rule.fix !== undefined ? { ...result, fix: renderFix(rule.fix, state.scope, ids) } : result;
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
