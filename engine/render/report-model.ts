import { type Finding, STATUSES, type Status } from '../model.js';
import type { ResultsDocument } from '../results/results.js';

/** What the report templates read: the results, arranged for reading (failures first, per rule). */
export interface ReportModel {
  readonly results: ResultsDocument;
  readonly statusCounts: readonly { readonly status: Status; readonly count: number }[];
  readonly incomplete: boolean;
  readonly rules: readonly RuleSection[];
}

export interface RuleSection {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly description: string;
  readonly rationale: string;
  readonly audit: string;
  readonly remediation: string;
  readonly references: readonly string[];
  readonly controls: readonly { readonly framework: string; readonly value: string }[];
  readonly counts: readonly { readonly status: Status; readonly count: number }[];
  readonly findings: readonly FindingView[];
}

export interface FindingView {
  readonly status: Status;
  readonly resource: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly message: string;
  readonly evidence: readonly { readonly path: string; readonly op: string; readonly status: string; readonly reason: string }[];
}

const ORDER = new Map(STATUSES.map((s, i) => [s, i]));

export function reportModel(results: ResultsDocument): ReportModel {
  const byRule = new Map<string, Finding[]>();
  for (const f of results.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  return {
    results,
    statusCounts: STATUSES.map((status) => ({ status, count: results.summary.byStatus[status] })).filter((c) => c.count > 0),
    incomplete: results.summary.incompleteInputs > 0,
    rules: results.rules.map((rule) => {
      const findings = [...(byRule.get(rule.id) ?? [])].sort((a, b) => (ORDER.get(a.status) ?? 0) - (ORDER.get(b.status) ?? 0));
      const counts = results.summary.byRule[rule.id];
      return {
        id: rule.id,
        title: rule.title,
        severity: rule.severity,
        description: rule.description ?? '',
        rationale: rule.rationale ?? '',
        audit: rule.audit ?? '',
        remediation: rule.remediation ?? '',
        references: rule.references,
        controls: Object.entries(rule.controls).map(([framework, value]) => ({ framework, value: controlText(value) })),
        counts: counts === undefined ? [] : STATUSES.map((status) => ({ status, count: counts[status] })).filter((c) => c.count > 0),
        findings: findings.map(findingView),
      };
    }),
  };
}

function findingView(f: Finding): FindingView {
  const evidence = [...(f.evidence.when ?? []), ...(f.evidence.assertions ?? [])];
  return {
    status: f.status,
    resource: f.resource.id,
    name: f.resource.name ?? f.resource.id,
    account: f.resource.account,
    region: f.resource.region,
    message: f.message,
    evidence: evidence.map(({ path, op, status, reason }) => ({ path, op, status, reason })),
  };
}

function controlText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `v${k} ${String(v)}`)
      .join(', ');
  }
  return String(value);
}
