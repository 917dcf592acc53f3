import { isPolicyEvidence } from '../core/evidence.js';
import { groupBy } from '../core/group-by.js';
import { type AssertionEvidence, type Finding, SEVERITIES, STATUSES, type Status, type WaiverEvidence } from '../core/model.js';
import type { ResultsDocument } from '../results/results.js';
import type { WaiverOutcome } from '../waivers/waivers.js';
import { evidenceItems } from './formatter.js';
import { type PolicyView, policyView, type StatementLink, type StatementView, statementLinks, statementViews } from './statement-views.js';

/**
 * What report templates read: the results document itself, plus `report`, the same results arranged for reading —
 * scope, summaries, and per rule the findings that need attention first (with the statements their evidence names
 * and the filled-in fix), the rest listed briefly.
 */
export interface ReportContext extends ResultsDocument {
  readonly report: ReportView;
}

export interface ReportView {
  /** Each pack that ran, with the control mappings all of its rules share (printed once, not per rule). */
  readonly packs: readonly PackView[];
  /** The report's title, from the packs that ran (the CIS control when only the built-in pack did). */
  readonly title: string;
  /** The overall result, first thing on the page. */
  readonly verdict: VerdictView;
  /** Resources × rules, resources needing attention first; passing resources only counted. */
  readonly matrix: MatrixView;
  /** Every account in scope: those snapshots were taken in, and those owning a resource or key the findings name. */
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** Whether some failed collection call read data no input holds. */
  readonly incomplete: boolean;
  readonly collectionErrors: readonly CollectionErrorView[];
  /** Failed calls whose data no other input holds. */
  readonly missing: number;
  /** Failed calls whose data another input holds. */
  readonly covered: number;
  readonly statusCounts: readonly Count[];
  readonly severityRows: readonly { readonly severity: string; readonly counts: readonly Count[] }[];
  readonly statuses: readonly Status[];
  readonly rules: readonly RuleSection[];
  readonly waived: readonly FindingView[];
  /** With --waivers: every waiver and what became of it; null when the run had no waivers file. */
  readonly waivers: readonly WaiverOutcome[] | null;
  /** Every key policy the evidence refers to, printed once, each statement with an anchor rows link to. */
  readonly policies: readonly PolicyView[];
}

export interface PackView {
  readonly name: string;
  readonly version: string;
  readonly controls: readonly { readonly framework: string; readonly value: string }[];
}

export interface VerdictView {
  /** `fails`, `passes`, or `passes, coverage incomplete`. */
  readonly outcome: 'fails' | 'passes' | 'incomplete';
  /** Findings that fail the run (at or above the threshold). */
  readonly failing: number;
  /** The threshold in words: `fail or error at or above info`. */
  readonly threshold: string;
  readonly complete: boolean;
  readonly counts: readonly Count[];
  /** How many resources have at least one finding that needs attention, of how many. */
  readonly resourcesNeedingAttention: number;
  readonly resources: number;
}

export interface MatrixView {
  /** The rules, numbered from 1 (`R1`…) for the table's narrow columns. */
  readonly rules: readonly { readonly id: string; readonly title: string; readonly number: number }[];
  /** Resources with a finding that needs attention (fail, error, unknown), failing ones first. */
  readonly rows: readonly MatrixRow[];
  /** Resources whose every finding passed, was skipped or waived: counted, not listed. */
  readonly settled: number;
}

export interface MatrixRow {
  readonly resource: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** One per matrix rule, in order; `status` null when the rule gave this resource no finding. */
  readonly cells: readonly { readonly status: Status | null; readonly anchor: string | null }[];
}

export interface CollectionErrorView {
  readonly snapshot: string;
  readonly operation: string;
  readonly region: string;
  readonly code: string;
  readonly message: string;
  readonly resource: string | null;
  readonly coveredBy: string | null;
}

export interface Count {
  readonly status: Status;
  readonly count: number;
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
  /** The rule's control mappings, unless every rule of its pack has the same (then they are the pack's). */
  readonly controls: readonly { readonly framework: string; readonly value: string }[];
  /** The rule's parameters in this run, values as JSON. */
  readonly params: readonly { readonly name: string; readonly value: string }[];
  readonly counts: readonly Count[];
  /** fail, error and unknown findings, in that order, with their full evidence. */
  readonly attention: readonly FindingView[];
  /** pass and skip findings, listed briefly. */
  readonly settled: readonly FindingView[];
}

export interface FindingView {
  /** The id of the finding's element in the report, for links from the matrix. */
  readonly anchor: string;
  readonly status: Status;
  readonly ruleId: string;
  readonly resource: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly message: string;
  readonly evidence: readonly EvidenceView[];
  readonly fix: FixView | null;
  readonly waiver: WaiverView | null;
}

/** A waiver with every field present, so strict templates can print it. */
export interface WaiverView {
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  /** The waiver's resource pattern, or the finding's resource when the waiver did not record one. */
  readonly resource: string;
  /** The verdict the waiver set aside, or "unrecorded". */
  readonly setAside: string;
}

export interface EvidenceView {
  readonly path: string;
  readonly op: string;
  readonly status: string;
  readonly reason: string;
  /** Whether the finding's message already says the reason (brief rows then show only the links). */
  readonly inMessage: boolean;
  /** On findings that need attention: the statements the evidence names, with their JSON. */
  readonly statements: readonly StatementView[];
  /** On every finding: the same statements as links into the key-policy appendix. */
  readonly links: readonly StatementLink[];
  readonly lacks: readonly string[];
  /** The request a failed policy check evaluated (caller, action, resource, context), as JSON; null otherwise. */
  readonly request: string | null;
}

export interface FixView {
  readonly summary: string;
  readonly statement: string | null;
  readonly command: string | null;
  /** The document with the statement added (replacing one with the same Sid), ready for put-key-policy. */
  readonly policy: string | null;
}

const ATTENTION: ReadonlySet<Status> = new Set(['fail', 'error', 'unknown']);
const ORDER = new Map(STATUSES.map((s, i) => [s, i]));

export function reportContext(results: ResultsDocument): ReportContext {
  const byRule = groupBy(results.findings, (f) => f.ruleId);
  const documents = new DocumentIndex(results.documents);
  const anchors = new Map<Finding, string>();
  const view = (full: boolean) => (f: Finding) => findingView(f, documents, full, anchorOf(anchors, f));
  const count = (counts: Readonly<Record<Status, number>> | undefined) =>
    counts === undefined ? [] : STATUSES.map((status) => ({ status, count: counts[status] })).filter((c) => c.count > 0);
  const collectionErrors = results.inputs.flatMap((input) =>
    input.errors.map((e) => ({
      snapshot: input.path,
      operation: e.operation,
      region: e.region ?? '(global)',
      code: e.code,
      message: e.message,
      resource: e.resource ?? null,
      coveredBy: e.coveredBy ?? null,
    })),
  );
  // Control mappings every rule of a pack shares (the built-in rules all map to the same CIS control) are the pack's.
  const sharedControls = new Map<string, string>();
  for (const [pack, list] of groupBy(results.rules, (r) => r.pack)) {
    const texts = new Set(list.map((r) => JSON.stringify(r.controls)));
    if (list.length > 1 && texts.size === 1 && Object.keys(list[0]?.controls ?? {}).length > 0)
      sharedControls.set(pack, [...texts][0] as string);
  }
  const packs: PackView[] = results.packs.map((p) => {
    const shared = sharedControls.get(p.name);
    return {
      name: p.name,
      version: p.version,
      controls: shared === undefined ? [] : controlsOf(JSON.parse(shared) as Record<string, unknown>),
    };
  });
  const rules: RuleSection[] = results.rules.map((rule, r) => {
    const findings = [...(byRule.get(rule.id) ?? [])].sort((a, b) => (ORDER.get(a.status) ?? 0) - (ORDER.get(b.status) ?? 0));
    for (const [i, f] of findings.entries()) anchors.set(f, `finding-${r}-${i}`);
    return {
      id: rule.id,
      title: rule.title,
      severity: rule.severity,
      description: rule.description ?? '',
      rationale: rule.rationale ?? '',
      audit: rule.audit ?? '',
      remediation: rule.remediation ?? '',
      references: rule.references,
      controls: sharedControls.get(rule.pack) === undefined ? controlsOf(rule.controls) : [],
      params: Object.entries(rule.params ?? {}).map(([name, value]) => ({ name, value: JSON.stringify(value) })),
      counts: count(results.summary.byRule[rule.id]),
      attention: findings.filter((f) => ATTENTION.has(f.status)).map(view(true)),
      settled: findings.filter((f) => f.status === 'pass' || f.status === 'skip').map(view(false)),
    };
  });
  const waived = results.findings
    .filter((f) => f.status === 'waived')
    .map((f, i) => {
      anchors.set(f, anchors.get(f) ?? `waived-${i}`);
      return view(true)(f);
    });
  const report: ReportView = {
    packs,
    title: reportTitle(results),
    verdict: verdictOf(results),
    matrix: matrixOf(results, anchors),
    accounts: unique([
      ...results.inputs.map((i) => i.account),
      ...results.findings.map((f) => f.resource.account).filter((a) => /^\d{12}$/.test(a)),
      ...Object.keys(results.documents).flatMap((id) => /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(id)?.[1] ?? []),
    ]),
    regions: unique(results.inputs.flatMap((i) => i.regions ?? [])),
    incomplete: results.summary.incompleteInputs > 0,
    collectionErrors,
    missing: collectionErrors.filter((e) => e.coveredBy === null).length,
    covered: collectionErrors.filter((e) => e.coveredBy !== null).length,
    statusCounts: count(results.summary.byStatus),
    statuses: STATUSES,
    severityRows: SEVERITIES.map((severity) => ({
      severity,
      counts: STATUSES.map((status) => ({ status, count: results.summary.bySeverity[severity][status] })),
    })),
    rules,
    waived,
    waivers: results.waivers ?? null,
    policies: documents.policies(),
  };
  return { ...results, report };
}

function anchorOf(anchors: ReadonlyMap<Finding, string>, f: Finding): string {
  return anchors.get(f) ?? '';
}

const CIS_TITLE = 'CloudTrail logs encrypted at rest using KMS CMKs';

/** The report's title from the packs that ran: the CIS control for the built-in pack alone, else the packs' names. */
export function reportTitle(results: Pick<ResultsDocument, 'packs'>): string {
  const packs = results.packs.filter((p) => p.name !== 'trailguard');
  if (packs.length === 1 && packs[0]?.source === 'built-in') return CIS_TITLE;
  const names = packs.map((p) => (p.source === 'built-in' ? CIS_TITLE : p.name));
  return names.length === 0 ? 'trailguard checks' : names.join(' · ');
}

const ATTENTION_ORDER: Readonly<Record<Status, number>> = { fail: 0, error: 1, unknown: 2, waived: 3, pass: 4, skip: 5 };

function verdictOf(results: ResultsDocument): VerdictView {
  const counts = STATUSES.map((status) => ({ status, count: results.summary.byStatus[status] })).filter((c) => c.count > 0);
  const complete = results.summary.incompleteInputs === 0;
  const byResource = groupBy(results.findings, (f) => f.resource.id);
  const needing = [...byResource.values()].filter((list) => list.some((f) => ATTENTION.has(f.status))).length;
  return {
    outcome: results.summary.failing > 0 ? 'fails' : complete ? 'passes' : 'incomplete',
    failing: results.summary.failing,
    threshold: `fail or error${results.failOnUnknown ? ' or unknown' : ''} at or above ${results.failOn}`,
    complete,
    counts,
    resourcesNeedingAttention: needing,
    resources: byResource.size,
  };
}

/** Resources × rules: every resource with a finding that needs attention, failing ones first, then by name. */
function matrixOf(results: ResultsDocument, anchors: ReadonlyMap<Finding, string>): MatrixView {
  const rules = results.rules.map((r, i) => ({ id: r.id, title: r.title, number: i + 1 }));
  const column = new Map(rules.map((r, i) => [r.id, i]));
  const byResource = groupBy(results.findings, (f) => f.resource.id);
  const rows: (MatrixRow & { readonly rank: number })[] = [];
  let settled = 0;
  for (const findings of byResource.values()) {
    if (!findings.some((f) => ATTENTION.has(f.status))) {
      settled++;
      continue;
    }
    const first = findings[0] as Finding;
    const cells: { status: Status | null; anchor: string | null }[] = rules.map(() => ({ status: null, anchor: null }));
    for (const f of findings) {
      const i = column.get(f.ruleId);
      if (i !== undefined) cells[i] = { status: f.status, anchor: anchors.get(f) ?? null };
    }
    rows.push({
      resource: first.resource.id,
      name: first.resource.name ?? first.resource.id,
      account: first.resource.account,
      region: first.resource.region,
      cells,
      rank: Math.min(...findings.map((f) => ATTENTION_ORDER[f.status])),
    });
  }
  rows.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  return { rules, rows: rows.map(({ rank: _, ...row }) => row), settled };
}

/** The documents evidence refers to (key entries by ARN), in ARN order, with their policies. */
class DocumentIndex {
  private readonly arns: readonly string[];
  private readonly positions: ReadonlyMap<string, number>;

  constructor(private readonly documents: Readonly<Record<string, unknown>>) {
    this.arns = Object.keys(documents)
      .filter((arn) => this.policy(arn) !== undefined)
      .sort();
    this.positions = new Map(this.arns.map((arn, i) => [arn, i]));
  }

  policy(arn: string | undefined): unknown {
    if (arn === undefined) return undefined;
    const policy = (this.documents[arn] as { policy?: unknown } | null | undefined)?.policy;
    return policy !== null && typeof policy === 'object' ? policy : undefined;
  }

  /** The document's position in the appendix; undefined for one without a policy. */
  position(arn: string | undefined): number | undefined {
    return arn === undefined ? undefined : this.positions.get(arn);
  }

  policies(): PolicyView[] {
    return this.arns.flatMap((arn, i) => policyView(arn, i, this.policy(arn)) ?? []);
  }
}

/** A finding for display; `full` adds the statements its evidence names (kept out of passing rows at scale). */
function findingView(f: Finding, documents: DocumentIndex, full: boolean, anchor: string): FindingView {
  const evidence = evidenceItems(f);
  return {
    anchor,
    status: f.status,
    ruleId: f.ruleId,
    resource: f.resource.id,
    name: f.resource.name ?? f.resource.id,
    account: f.resource.account,
    region: f.resource.region,
    message: f.message,
    evidence: evidence.map((e) => evidenceView(e, f.message, documents, full)),
    fix: f.fix === undefined ? null : fixView(f.fix, documents),
    waiver: f.evidence.waiver === undefined ? null : waiverView(f.evidence.waiver, f.resource.id),
  };
}

function waiverView(w: WaiverEvidence, resource: string): WaiverView {
  return { reason: w.reason, owner: w.owner, expires: w.expires, resource: w.resource ?? resource, setAside: w.status ?? 'unrecorded' };
}

function evidenceView(e: AssertionEvidence, message: string, documents: DocumentIndex, full: boolean): EvidenceView {
  const links = statementLinks(e.details, documents.position(e.document));
  const details = e.details !== undefined && isPolicyEvidence(e.details) ? e.details : undefined;
  return {
    path: e.path,
    op: e.op,
    status: e.status,
    reason: e.reason,
    inMessage: message.includes(e.reason),
    statements: full ? statementViews(links, documents.policy(e.document)) : [],
    links,
    lacks: full ? (details?.closest?.lacks ?? []) : [],
    request: full && details?.request !== undefined ? JSON.stringify(details.request, null, 2) : null,
  };
}

function fixView(fix: NonNullable<Finding['fix']>, documents: DocumentIndex): FixView {
  const statement = fix.statement === undefined ? null : JSON.stringify(fix.statement, null, 2);
  const current = documents.policy(fix.document);
  return { summary: fix.summary, statement, command: fix.command ?? null, policy: mergedPolicy(current, fix.statement) };
}

/** The policy with the statement added, or replacing the statement with the same Sid; null without a policy. */
function mergedPolicy(policy: unknown, statement: unknown): string | null {
  if (statement === undefined || policy === null || typeof policy !== 'object') return null;
  const document = policy as { Statement?: unknown };
  const existing = Array.isArray(document.Statement) ? document.Statement : document.Statement === undefined ? [] : [document.Statement];
  const sid = (statement as { Sid?: unknown }).Sid;
  const kept = existing.filter((s) => sid === undefined || (s as { Sid?: unknown } | null)?.Sid !== sid);
  return JSON.stringify({ ...document, Statement: [...kept, statement] }, null, 2);
}

function controlsOf(controls: Readonly<Record<string, unknown>>): { framework: string; value: string }[] {
  return Object.entries(controls).map(([framework, value]) => ({ framework, value: controlText(value) }));
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

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
