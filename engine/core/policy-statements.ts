/** A policy document's statements as a list: IAM allows one statement object, or none, in place of the list. */
export function statementsOf(policy: unknown): unknown[] {
  if (policy === null || typeof policy !== 'object') return [];
  const raw = (policy as { Statement?: unknown }).Statement;
  return Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
}
