/** A statement an evidence item names, shown as the policy holds it. */
export interface StatementView {
  /** The statement's position in the policy's Statement list. */
  readonly index: number;
  /** Why it is shown: allowed, denied, closest, or the probe it also allowed. */
  readonly role: string;
  readonly label: string;
  readonly source: string;
  /** The fragment id of the statement in the report's key-policy appendix. */
  readonly anchor: string;
}

/** A reference to a statement of a policy in the report's appendix, for rows that do not repeat its JSON. */
export type StatementLink = Omit<StatementView, 'source'>;

/** A key policy printed once in the report's appendix, each statement with its own anchor. */
export interface PolicyView {
  readonly arn: string;
  readonly anchor: string;
  readonly statements: readonly { readonly label: string; readonly anchor: string; readonly source: string }[];
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

/** The fragment ids of a document's policy and statements, given the document's position among the results'. */
export function policyAnchor(position: number): string {
  return `policy-${position}`;
}

function statementAnchor(position: number, index: number): string {
  return `policy-${position}-statement-${index}`;
}

function label(index: number, sid: unknown): string {
  return typeof sid === 'string' ? `Statement[${index}] (Sid "${sid}")` : `Statement[${index}]`;
}

function statementsOf(policy: unknown): unknown[] {
  if (policy === null || typeof policy !== 'object') return [];
  const raw = (policy as { Statement?: unknown }).Statement;
  return Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
}

/**
 * The statements an `iam-policy` evidence names (granting, blocking, the closest candidate, those that also allow a
 * probe), each once with every role it plays. Nothing for other operators.
 */
export function statementLinks(details: unknown, position: number | undefined): StatementLink[] {
  if (details === null || typeof details !== 'object' || position === undefined) return [];
  const d = details as PolicyDetails;
  const named: [string, Ref][] = [
    ...(d.allowedBy ?? []).map((r) => ['allows the request', r] as [string, Ref]),
    ...(d.deniedBy ?? []).map((r) => ['denies the request', r] as [string, Ref]),
    ...(d.closest === undefined ? [] : [['closest to allowing it', d.closest.statement] as [string, Ref]]),
    ...(d.probes ?? []).flatMap((p) => (p.allowedBy ?? []).map((r) => [`also allows probe ${p.name}`, r] as [string, Ref])),
  ];
  const byIndex = new Map<number, StatementLink>();
  for (const [role, ref] of named) {
    const existing = byIndex.get(ref.index);
    byIndex.set(
      ref.index,
      existing === undefined
        ? { index: ref.index, role, label: label(ref.index, ref.sid), anchor: statementAnchor(position, ref.index) }
        : { ...existing, role: `${existing.role}; ${role}` },
    );
  }
  return [...byIndex.values()];
}

/** Linked statements with their JSON from the key policy the results carry. */
export function statementViews(links: readonly StatementLink[], policy: unknown): StatementView[] {
  const statements = statementsOf(policy);
  return links.map((link) => ({ ...link, source: JSON.stringify(statements[link.index] ?? null, null, 2) }));
}

/** A document's policy for the appendix; undefined when it has none. */
export function policyView(arn: string, position: number, policy: unknown): PolicyView | undefined {
  if (policy === null || typeof policy !== 'object') return undefined;
  return {
    arn,
    anchor: policyAnchor(position),
    statements: statementsOf(policy).map((statement, index) => ({
      label: label(index, (statement as { Sid?: unknown } | null)?.Sid),
      anchor: statementAnchor(position, index),
      source: JSON.stringify(statement, null, 2),
    })),
  };
}
