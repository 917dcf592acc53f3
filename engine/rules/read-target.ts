import type { EvaluationState, Target } from './compiled-rule.js';

export type TargetRead = { readonly ok: true; readonly values: unknown[] } | { readonly ok: false; readonly reason: string };

/** The values a target selects, or why they cannot be known (its binding did not resolve). */
export function readTarget(state: EvaluationState, target: Target): TargetRead {
  if (target.root === undefined) return { ok: true, values: target.path.query(state.scope.resource) };
  const unresolved = state.unresolved.get(target.root);
  if (unresolved !== undefined) return { ok: false, reason: unresolved };
  return { ok: true, values: target.path.query(state.scope[target.root]) };
}
