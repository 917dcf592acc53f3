import { parseArn } from '../arn.js';
import type { AssertionEvidence, Evidence, Finding, ResourceRef, Status } from '../model.js';
import type { CompiledRule, EvaluationState } from '../rules/compiled-rule.js';
import type { Template } from '../rules/template.js';
import { compileTemplate } from '../rules/template.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../snapshot/types.js';
import { evaluateAssertion } from './evaluate-assertion.js';

interface Resource {
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
  for (const resource of selectResources(rule, set)) yield evaluateResource(rule, resource, set);
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

function evaluateResource(rule: CompiledRule, resource: Resource, set: SnapshotSet): Finding {
  const scope: Record<string, unknown> = { resource: resource.value, snapshot: resource.snapshot.document };
  const state: EvaluationState = { scope, unresolved: new Map(), set, snapshot: resource.snapshot, resource: resource.ref };
  const lookups: Record<string, string | null> = {};
  try {
    for (const binding of rule.bindings) {
      const outcome = binding.evaluate(state);
      if (outcome.ok) scope[binding.name] = outcome.value;
      else {
        scope[binding.name] = null;
        state.unresolved.set(binding.name, outcome.reason);
      }
      if (binding.isLookup) lookups[binding.name] = outcome.ok ? (outcome.id ?? null) : null;
    }
    const hasLookups = Object.keys(lookups).length > 0;
    const when = rule.when.map((w) => evaluateAssertion(w, state));
    const blocking = when.find((w) => w.status !== 'pass');
    if (blocking !== undefined) {
      const status = blocking.status === 'unknown' ? 'unknown' : 'skip';
      return finding(rule, resource, status, blocking, { when, ...(hasLookups ? { lookups } : {}) }, state, undefined);
    }
    const assertions = rule.assertions.map((a) => evaluateAssertion(a, state));
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
    );
  } catch (error) {
    const reason = (error as Error).message;
    return finding(rule, resource, 'error', { path: '', op: '', status: 'unknown', reason }, { error: reason }, state, undefined);
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
): Finding {
  const verdict = { status, reason: deciding.reason, path: deciding.path, observed: deciding.observed };
  const template = (status === 'fail' ? assertionMessage : undefined) ?? rule.messages[status] ?? DEFAULT_MESSAGES[status];
  const message = template.render({ ...state.scope, verdict, rule: rule.info });
  return { ruleId: rule.info.id, severity: rule.info.severity, resource: resource.ref, status, message, evidence };
}
