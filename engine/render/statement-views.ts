/** A statement an evidence item names, shown as the policy holds it. */
export interface StatementView {
  /** Why it is shown: allowed, denied, closest, or the probe it also allowed. */
  readonly role: string;
  readonly label: string;
  readonly source: string;
}

interface Ref {
  readonly index: number;
  readonly sid?: string;
}

interface PolicyDetails {
  readonly allowedBy?: readonly Ref[];
  readonly deniedBy?: readonly Ref[];
  readonly closest?: { readonly statement: Ref };
  readonly probes?: readonly { readonly name: string; readonly allowedBy?: readonly Ref[] }[];
}

/**
 * The statements an `iam-policy` evidence names (granting, blocking, the closest candidate, those that also allow a
 * probe), each once, with its JSON from the key policy the results carry. Nothing for other operators.
 */
export function statementViews(details: unknown, policy: unknown): StatementView[] {
  if (details === null || typeof details !== 'object' || policy === null || typeof policy !== 'object') return [];
  const d = details as PolicyDetails;
  const raw = (policy as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const named: [string, Ref][] = [
    ...(d.allowedBy ?? []).map((r) => ['allows the request', r] as [string, Ref]),
    ...(d.deniedBy ?? []).map((r) => ['denies the request', r] as [string, Ref]),
    ...(d.closest === undefined ? [] : [['closest to allowing it', d.closest.statement] as [string, Ref]]),
    ...(d.probes ?? []).flatMap((p) => (p.allowedBy ?? []).map((r) => [`also allows probe ${p.name}`, r] as [string, Ref])),
  ];
  const seen = new Map<number, StatementView>();
  const out: StatementView[] = [];
  for (const [role, ref] of named) {
    const existing = seen.get(ref.index);
    if (existing !== undefined) {
      const merged = { ...existing, role: `${existing.role}; ${role}` };
      out[out.indexOf(existing)] = merged;
      seen.set(ref.index, merged);
      continue;
    }
    const view = {
      role,
      label: ref.sid === undefined ? `Statement[${ref.index}]` : `Statement[${ref.index}] (Sid "${ref.sid}")`,
      source: JSON.stringify(statements[ref.index] ?? null, null, 2),
    };
    seen.set(ref.index, view);
    out.push(view);
  }
  return out;
}
