import type { EvaluationState, Target } from './compiled-rule.js';

export type TargetRead =
  | {
      readonly ok: true;
      readonly values: unknown[] /** The same array for every resource reading this document. */;
      readonly shared?: true;
    }
  | { readonly ok: false; readonly reason: string };

/** The values a target selects, or why they cannot be known (its binding did not resolve). */
export function readTarget(state: EvaluationState, target: Target): TargetRead {
  if (target.id === true) return { ok: true, values: [state.resource.id] };
  if (target.root === undefined) return { ok: true, values: target.path.query(state.scope.resource) };
  const unresolved = state.unresolved.get(target.root);
  if (unresolved !== undefined) return { ok: false, reason: unresolved };
  const root = state.scope[target.root];
  if (target.path.direct || root === null || typeof root !== 'object') return { ok: true, values: target.path.query(root) };
  // Searching queries (`..`, `*`, slices) on a document many resources share — the snapshot, a looked-up key — are
  // kept for the run: `snapshot..KmsKeyId` selects the same values for every trail of a snapshot, so a rule that
  // searches the whole document for each of 100,000 trails costs one pass, not 100,000.
  let queries = state.cache.queries.get(root);
  if (queries === undefined) {
    queries = new Map();
    state.cache.queries.set(root, queries);
  }
  let values = queries.get(target.path.source);
  if (values === undefined) {
    values = target.path.query(root);
    queries.set(target.path.source, values);
  }
  return { ok: true, values, shared: true };
}
