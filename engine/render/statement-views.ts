import { isPolicyEvidence, type PolicyEvidence, type PolicyQueryEvidence, type StatementRef, statementLabel } from '../core/evidence.js';
import { statementsOf } from '../core/policy-statements.js';
import { compactJson } from './compact-json.js';

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

/** The fragment ids of a document's policy and statements, given the document's position among the results'. */
export function policyAnchor(position: number): string {
  return `policy-${position}`;
}

function statementAnchor(position: number, index: number): string {
  return `policy-${position}-s${index}`;
}

/**
 * The statements an `iam-policy` evidence names (granting, blocking, the closest candidate, those that also allow a
 * probe), each once with every role it plays. Nothing for other operators.
 */
export function statementLinks(d: PolicyEvidence | PolicyQueryEvidence | undefined, position: number | undefined): StatementLink[] {
  if (d === undefined || position === undefined) return [];
  const named: [string, StatementRef][] = !isPolicyEvidence(d)
    ? d.grantees.flatMap((g) => g.allowedBy.map((r): [string, StatementRef] => [`grants it to ${g.who}`, r]))
    : [
        ...(d.allowedBy ?? []).map((r): [string, StatementRef] => ['allows the request', r]),
        ...(d.deniedBy ?? []).map((r): [string, StatementRef] => ['denies the request', r]),
        ...(d.closest === undefined ? [] : [['closest to allowing it', d.closest.statement] as [string, StatementRef]]),
        ...(d.probes ?? []).flatMap((p) => (p.allowedBy ?? []).map((r): [string, StatementRef] => [`also allows probe ${p.name}`, r])),
      ];
  const byIndex = new Map<number, StatementLink>();
  for (const [role, ref] of named) {
    const existing = byIndex.get(ref.index);
    byIndex.set(
      ref.index,
      existing === undefined
        ? { index: ref.index, role, label: statementLabel(ref), anchor: statementAnchor(position, ref.index) }
        : { ...existing, role: `${existing.role}; ${role}` },
    );
  }
  return [...byIndex.values()];
}

/** Linked statements with their JSON from the key policy the results carry. */
export function statementViews(links: readonly StatementLink[], policy: unknown): StatementView[] {
  const statements = statementsOf(policy);
  return links.map((link) => ({ ...link, source: compactJson(statements[link.index] ?? null) }));
}

/** A document's policy for the appendix; undefined when it has none. */
export function policyView(arn: string, position: number, policy: unknown): PolicyView | undefined {
  if (policy === null || typeof policy !== 'object') return undefined;
  return {
    arn,
    anchor: policyAnchor(position),
    statements: statementsOf(policy).map((statement, index) => ({
      label: statementLabel({ index, sid: (statement as { Sid?: unknown } | null)?.Sid }),
      anchor: statementAnchor(position, index),
      source: compactJson(statement),
    })),
  };
}
