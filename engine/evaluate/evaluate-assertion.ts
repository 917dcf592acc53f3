import type { AssertionEvidence } from '../core/model.js';
import type { OperatorResult, ValueTest } from '../operators/types.js';
import type { CompiledAssertion, EvaluationState, Quantifier } from '../rules/compiled-rule.js';
import { readTarget } from '../rules/read-target.js';

/** Evaluates one assertion on the current resource: reads its path, applies the operator and the quantifier. */
export function evaluateAssertion(assertion: CompiledAssertion, state: EvaluationState): AssertionEvidence {
  const path = assertion.target.text;
  const op = assertion.op;
  const read = readTarget(state, assertion.target);
  if (!read.ok) return { path, op, status: 'unknown', reason: read.reason };
  const values = read.values;
  const judge = (): OperatorResult =>
    assertion.test.kind === 'matches'
      ? assertion.test.test(values, state.scope, state.context)
      : quantify(
          assertion.quantifier,
          values.map((v) => (assertion.test as { test: ValueTest }).test(v, state.scope, state.context)),
        );
  const outcome = read.shared === true && assertion.resourceFree ? sharedOutcome(state, assertion, values, judge) : judge();
  const observed = quotable(values);
  const evidence: { -readonly [K in keyof AssertionEvidence]: AssertionEvidence[K] } = {
    path,
    op,
    status: outcome.status,
    reason: outcome.reason,
  };
  if (observed !== undefined) evidence.observed = observed;
  if (outcome.details !== undefined) evidence.details = outcome.details;
  return evidence;
}

/**
 * Verdicts on values every resource shares (`snapshot..*` read by each trail), kept for the run by value list, then
 * assertion: a regex over every value of the snapshot runs once per snapshot, not once per trail.
 */
function sharedOutcome(
  state: EvaluationState,
  assertion: CompiledAssertion,
  values: readonly unknown[],
  judge: () => OperatorResult,
): OperatorResult {
  let outcomes = state.cache.outcomes.get(values);
  if (outcomes === undefined) {
    outcomes = new Map();
    state.cache.outcomes.set(values, outcomes);
  }
  let outcome = outcomes.get(assertion);
  if (outcome === undefined) {
    outcome = judge();
    outcomes.set(assertion, outcome);
  }
  return outcome;
}

function quantify(quantifier: Quantifier, results: readonly OperatorResult[]): OperatorResult {
  if (quantifier === 'all' && results.length === 1) return results[0] as OperatorResult;
  const unknown = results.find((r) => r.status === 'unknown');
  if (unknown !== undefined) return result(unknown);
  const passed = results.filter((r) => r.status === 'pass');
  const failed = results.filter((r) => r.status === 'fail');
  const n = results.length;
  if (quantifier === 'all') {
    if (n === 0) return { status: 'fail', reason: 'selects no value' };
    if (failed.length === 0)
      return n === 1
        ? result(passed[0] as OperatorResult)
        : { status: 'pass', reason: `all ${n} values pass: ${(passed[0] as OperatorResult).reason}` };
    const first = failed[0] as OperatorResult;
    return n === 1 ? result(first) : { ...result(first), reason: `${failed.length} of ${n} values fail; the first ${first.reason}` };
  }
  if (quantifier === 'some') {
    if (passed.length > 0) return result(passed[0] as OperatorResult);
    if (n === 0) return { status: 'fail', reason: 'selects no value' };
    return {
      ...result(failed[0] as OperatorResult),
      reason: `none of ${n} values passes; the first ${(failed[0] as OperatorResult).reason}`,
    };
  }
  if (quantifier === 'none') {
    if (passed.length === 0) return { status: 'pass', reason: n === 0 ? 'selects no value' : `none of ${n} values matches` };
    return { ...result(passed[0] as OperatorResult), status: 'fail' };
  }
  const min = quantifier.min ?? 0;
  const max = quantifier.max ?? Number.POSITIVE_INFINITY;
  const ok = passed.length >= min && passed.length <= max;
  const bounds = `${min}…${max === Number.POSITIVE_INFINITY ? '∞' : max}`;
  return { status: ok ? 'pass' : 'fail', reason: `${passed.length} of ${n} values pass, ${ok ? 'within' : 'outside'} ${bounds}` };
}

function result(r: OperatorResult): OperatorResult {
  return r.details === undefined ? { status: r.status, reason: r.reason } : { status: r.status, reason: r.reason, details: r.details };
}

/** The observed value when it is small and plain enough to quote in evidence. */
function quotable(values: readonly unknown[]): unknown {
  if (values.length !== 1) return undefined;
  const value = values[0];
  if (typeof value === 'string') return value.length > 512 ? `${value.slice(0, 509)}...` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}
