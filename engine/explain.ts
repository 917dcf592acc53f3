import { TrailguardError } from './core/errors.js';
import type { AssertionEvidence, Finding, ResourceRef } from './core/model.js';
import { evaluateObserved, selectResources } from './evaluate/evaluate-rule.js';
import type { RequestTrace } from './iam/check-policy.js';
import type { Quantifier } from './rules/compiled-rule.js';
import { readTarget } from './rules/read-target.js';
import { loadRunInputs, type RunInputs } from './run-check.js';
import { SnapshotSet } from './snapshot/snapshot-set.js';

/** What `explain` evaluates: the run inputs of a check, one rule id and one resource (its id, or its name when unique). */
export interface ExplainRequest extends Omit<RunInputs, 'waivers'> {
  readonly rule: string;
  /** The resource's id, or its name when only one resource has it. */
  readonly resource: string;
}

/** One `when` condition or assertion: what its path selected and what the operator made of it. */
export interface StepTrace {
  readonly kind: 'when' | 'assert';
  readonly index: number;
  readonly path: string;
  readonly op: string;
  readonly quantifier: Quantifier;
  /** The values the path selected; null when its binding did not resolve. */
  readonly values: readonly unknown[] | null;
  readonly evidence: AssertionEvidence;
  /** For policy operators: every request evaluated, with each statement's verdict on it. */
  readonly requests: readonly RequestTrace[];
}

export interface BindingTrace {
  readonly name: string;
  readonly resolved: boolean;
  readonly value?: unknown;
  readonly reason?: string;
}

/** The evaluation of one rule on one resource, step by step. */
export interface Explanation {
  readonly rule: { readonly id: string; readonly title: string; readonly file: string };
  readonly resource: ResourceRef & { readonly snapshot: string };
  readonly bindings: readonly BindingTrace[];
  readonly steps: readonly StepTrace[];
  readonly finding: Finding;
}

/**
 * Evaluates one rule on one resource and records every step: each binding's value, each condition's and
 * assertion's selected values and verdict, and for policy operators each request and statement.
 */
export async function explain(request: ExplainRequest): Promise<Explanation> {
  const inputs = await loadRunInputs(request);
  const set = new SnapshotSet(inputs.snapshots);
  const rules = inputs.packs.flatMap((p) => p.rules);
  const rule = rules.find((r) => r.info.id === request.rule);
  if (rule === undefined) {
    throw usage(`no rule ${JSON.stringify(request.rule)} is loaded: the rules are ${rules.map((r) => r.info.id).join(', ')}`);
  }
  const resources = selectResources(rule, set);
  const byId = resources.find((r) => r.ref.id === request.resource);
  const byName = resources.filter((r) => r.ref.name === request.resource);
  if (byId === undefined && byName.length > 1) {
    throw usage(
      `${byName.length} resources are named ${JSON.stringify(request.resource)}: give the id, one of ${byName.map((r) => r.ref.id).join(', ')}`,
    );
  }
  const resource = byId ?? byName[0];
  if (resource === undefined) {
    const ids = resources.map((r) => r.ref.id);
    const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
    throw usage(
      `rule ${rule.info.id} selects no resource with id or name ${JSON.stringify(request.resource)}: ${ids.length === 0 ? 'it selects none in these snapshots' : `it selects ${shown}`}`,
    );
  }
  const bindings: BindingTrace[] = [];
  const steps: StepTrace[] = [];
  const finding = evaluateObserved(rule, resource, set, {
    binding(name, outcome) {
      bindings.push(outcome.ok ? { name, resolved: true, value: outcome.value } : { name, resolved: false, reason: outcome.reason });
    },
    assertion(kind, index, assertion, state, evaluate) {
      const requests: RequestTrace[] = [];
      {
        const evidence = evaluate((entry) => requests.push(entry));
        const read = readTarget(state, assertion.target);
        steps.push({
          kind,
          index,
          path: assertion.target.text,
          op: assertion.op,
          quantifier: assertion.quantifier,
          values: read.ok ? read.values : null,
          evidence,
          requests,
        });
        return evidence;
      }
    },
  });
  return {
    rule: { id: rule.info.id, title: rule.info.title, file: rule.file },
    resource: { ...resource.ref, snapshot: resource.snapshot.path },
    bindings,
    steps,
    finding,
  };
}

function usage(message: string): TrailguardError {
  return new TrailguardError({ code: 'usage', message });
}
