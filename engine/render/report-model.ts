import { isPolicyEvidence } from '../core/evidence.js';
import { groupBy } from '../core/group-by.js';
import { type AssertionEvidence, type Finding, SEVERITIES, STATUSES, type Status, type WaiverEvidence } from '../core/model.js';
import { statementsOf } from '../core/policy-statements.js';
import { mergeStatements, type StatementJson } from '../fix/merge-statements.js';
import type { ResultsDocument } from '../results/results.js';
import type { WaiverOutcome } from '../waivers/waivers.js';
import { compactJson } from './compact-json.js';
import { evidenceItems } from './formatter.js';
import {
  type PolicyView,
  policyAnchor,
  policyView,
  type StatementLink,
  type StatementView,
  statementLinks,
  statementViews,
} from './statement-views.js';

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
  /** Per severity that has a finding, the count of each status. */
  readonly severityRows: readonly { readonly severity: string; readonly counts: readonly Count[] }[];
  readonly statuses: readonly Status[];
  readonly rules: readonly RuleSection[];
  /** Each resource the matrix lists, in its order: its findings that need attention, and one fix per key. */
  readonly resources: readonly ResourceSection[];
  /** Resources whose every finding passed, was skipped or waived, one compact row each. */
  readonly passing: readonly PassingRow[];
  /** Per key whose policy fails findings: one combined change for every trail that uses it. */
  readonly keyFixes: readonly KeyFixView[];
  readonly waived: readonly FindingView[];
  /** With --waivers: every waiver and what became of it; null when the run had no waivers file. */
  readonly waivers: readonly WaiverOutcome[] | null;
  /** Every key policy the evidence refers to, printed once, each statement with an anchor rows link to. */
  readonly policies: readonly PolicyView[];
}

export interface PackView {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly controls: readonly { readonly framework: string; readonly value: string }[];
  /** The pack's rules, in the order they ran. */
  readonly rules: readonly RuleSection[];
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

/** Which resource a row or section is about. */
export interface ResourceRef {
  /** Its id (the ARN). */
  readonly resource: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
}

export interface MatrixRow extends ResourceRef {
  /** The id of the resource's section in the report. */
  readonly anchor: string;
  /** One per matrix rule, in order; `status` null when the rule gave this resource no finding. */
  readonly cells: readonly { readonly status: Status | null; readonly anchor: string | null }[];
}

/** One resource needing attention: its problems together, and what to change. */
export interface ResourceSection extends ResourceRef {
  readonly anchor: string;
  /** Its fail, error and unknown findings, in rule order. */
  readonly findings: readonly FindingView[];
  /**
   * The same findings as problems to read: findings of several rules with the same status, message and evidence
   * (three policy rules that cannot judge an unreadable policy) are one problem naming every rule.
   */
  readonly problems: readonly ProblemView[];
  /** Its passing, skipped and waived findings, briefly: the rule and the statements that decided it. */
  readonly settled: readonly CellView[];
  /** One fix per key (or per other change), covering every failing rule it helps. */
  readonly fixes: readonly ResourceFixView[];
}

/** One problem of a resource: the findings (one per rule) that say the same. */
export interface ProblemView {
  readonly status: Status;
  readonly message: string;
  /** Each finding it stands for: its rule and its element id (the first finding's is the problem's own). */
  readonly rules: readonly { readonly ruleId: string; readonly anchor: string }[];
  readonly evidence: readonly EvidenceView[];
  /** Where the imported file writes what to change (`file:line:col`); null for a collected snapshot. */
  readonly location: string | null;
}

/** What one change does for a resource: for a key policy, every statement its failing rules need, in one policy. */
export interface ResourceFixView extends FixContent {
  /** The fix's element id in the report. */
  readonly anchor: string;
  /**
   * When an earlier resource's section already gives this very change (several failing trails share a key), that
   * section's fix, which this one refers to instead of repeating it; null for the first.
   */
  readonly sameAs: { readonly anchor: string; readonly name: string } | null;
  /**
   * When an earlier resource's fix says the same and runs the same commands, but adds other statements (a statement
   * naming each trail): that fix, whose text this one refers to; its own statements are still given.
   */
  readonly likeFix: { readonly anchor: string; readonly name: string } | null;
  /** The key whose policy the change writes; null when it changes something else (the trail, the key's state). */
  readonly key: string | null;
  /** For a key's policy: the element id of the key's combined fix, which covers every trail that uses the key. */
  readonly keyFix: string | null;
}

/** What a fix says and does: a resource's fix and a key's combined fix alike. */
export interface FixContent {
  /** The rules whose findings it addresses. */
  readonly rules: readonly string[];
  /** What to do, each distinct text once. */
  readonly summaries: readonly string[];
  /** The statements to add, as JSON. */
  readonly statements: readonly string[];
  /**
   * The key's policy with them in it (a statement of the same Sid and shape extended, one of another shape replaced),
   * ready for put-key-policy; null when the report does not hold the policy.
   */
  readonly policy: string | null;
  /** The key's policy as recorded, in the key-policy appendix; null when the report does not hold it. */
  readonly policyAnchor: string | null;
  readonly commands: readonly string[];
}

/**
 * One key's combined fix: every statement the failing findings on all its trails ask for, merged (one statement per
 * purpose naming every trail), the key's policy with them, and how to have it proven.
 */
export interface KeyFixView extends FixContent {
  readonly anchor: string;
  readonly key: string;
  /** The resources whose failing findings it addresses, with their sections. */
  readonly resources: readonly { readonly name: string; readonly anchor: string }[];
  /** The `trailguard fix` command that proves the change on the run's snapshots and writes it in every form. */
  readonly prove: string;
}

/** A resource whose findings need no attention, in one row. */
export interface PassingRow extends ResourceRef {
  /** The key policy its evidence refers to, in the appendix. */
  readonly policy: { readonly arn: string; readonly anchor: string } | null;
  /** One per matrix rule, in order. */
  readonly cells: readonly CellView[];
}

/** A rule's verdict on a resource in brief: status, the statements that decided it, and a note for skips. */
export interface CellView {
  readonly ruleId: string;
  /** The rule's column number (R1…). */
  readonly number: number;
  /** Null when the rule gave the resource no finding. */
  readonly status: Status | null;
  /** Where the finding is shown in full (waived findings), or null. */
  readonly anchor: string | null;
  /** Statements that decided it, numbered as in the policy, linking into the appendix. */
  readonly links: readonly StatementLink[];
  /** Why a skipped finding did not apply; null otherwise. */
  readonly note: string | null;
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

export interface FindingView extends ResourceRef {
  /** The id of the finding's element in the report, for links from the matrix. */
  readonly anchor: string;
  readonly status: Status;
  readonly ruleId: string;
  readonly message: string;
  readonly evidence: readonly EvidenceView[];
  readonly fix: FixView | null;
  readonly waiver: WaiverView | null;
  /** `file:line:col` of the line to change, for a resource imported from a template or plan; null otherwise. */
  readonly location: string | null;
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
  const views = new Map<Finding, FindingView>();
  const view = (full: boolean) => (f: Finding) => {
    const v = findingView(f, documents, full, anchorOf(anchors, f));
    views.set(f, v);
    return v;
  };
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
  const rules: (RuleSection & { readonly pack: string })[] = results.rules.map((rule, r) => {
    const findings = [...(byRule.get(rule.id) ?? [])].sort((a, b) => (ORDER.get(a.status) ?? 0) - (ORDER.get(b.status) ?? 0));
    for (const [i, f] of findings.entries()) anchors.set(f, `finding-${r}-${i}`);
    return {
      pack: rule.pack,
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
  // Rules of no pack that ran (trailguard's own coverage check) are shown as their own pack, first.
  const ran = new Set(results.packs.map((p) => p.name));
  const own: PackView[] = [
    ...groupBy(
      rules.filter((r) => !ran.has(r.pack)),
      (r) => r.pack,
    ),
  ].map(([name, list]) => ({ name, version: results.tool.version, source: 'trailguard', controls: [], rules: list }));
  const packs: PackView[] = results.packs.map((p) => {
    const shared = sharedControls.get(p.name);
    return {
      name: p.name,
      version: p.version,
      source: p.source,
      controls: shared === undefined ? [] : controlsOf(JSON.parse(shared) as Record<string, unknown>),
      rules: rules.filter((r) => r.pack === p.name),
    };
  });
  packs.unshift(...own);
  const waived = results.findings
    .filter((f) => f.status === 'waived')
    .map((f, i) => {
      anchors.set(f, `waived-${i}`);
      return view(true)(f);
    });
  const byResource = new ResourceIndex(results, anchors, views, documents);
  const report: ReportView = {
    packs,
    title: reportTitle(results),
    verdict: verdictOf(results),
    matrix: byResource.matrix(),
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
    severityRows: SEVERITIES.filter((severity) => STATUSES.some((status) => results.summary.bySeverity[severity][status] > 0)).map(
      (severity) => ({
        severity,
        counts: STATUSES.map((status) => ({ status, count: results.summary.bySeverity[severity][status] })),
      }),
    ),
    rules,
    resources: byResource.sections(),
    passing: byResource.passing(),
    keyFixes: byResource.keyFixes(proveCommand(results)),
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

/**
 * The findings by resource: those needing attention (failing first, then by name) for the matrix and their own
 * sections, the rest as compact rows.
 */
class ResourceIndex {
  private readonly rules: readonly { readonly id: string; readonly title: string; readonly number: number }[];
  private readonly attention: { readonly findings: readonly Finding[]; readonly rank: number; readonly name: string }[] = [];
  private readonly settled: (readonly Finding[])[] = [];
  private readonly keyAnchors = new Map<string, string>();

  constructor(
    results: ResultsDocument,
    private readonly anchors: ReadonlyMap<Finding, string>,
    private readonly views: ReadonlyMap<Finding, FindingView>,
    private readonly documents: DocumentIndex,
  ) {
    this.rules = results.rules.map((r, i) => ({ id: r.id, title: r.title, number: i + 1 }));
    const column = new Map(this.rules.map((r, i) => [r.id, i]));
    const inRuleOrder = (a: Finding, b: Finding) => (column.get(a.ruleId) ?? 0) - (column.get(b.ruleId) ?? 0);
    for (const findings of groupBy(results.findings, (f) => f.resource.id).values()) {
      const sorted = [...findings].sort(inRuleOrder);
      if (!findings.some((f) => ATTENTION.has(f.status))) {
        this.settled.push(sorted);
        continue;
      }
      const first = sorted[0] as Finding;
      const rank = Math.min(...findings.map((f) => ATTENTION_ORDER[f.status]));
      this.attention.push({ findings: sorted, rank, name: first.resource.name ?? first.resource.id });
    }
    this.attention.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
    this.settled.sort((a, b) => nameOf(a[0] as Finding).localeCompare(nameOf(b[0] as Finding)));
  }

  /** Resources × rules: every resource with a finding that needs attention; passing resources only counted. */
  matrix(): MatrixView {
    const rows = this.attention.map(({ findings }, i): MatrixRow => {
      const first = findings[0] as Finding;
      return {
        anchor: resourceAnchor(i),
        ...refOf(first),
        cells: this.cells(findings).map((c) => ({
          status: c.status,
          anchor: c.status !== null && ATTENTION.has(c.status) ? c.anchor : null,
        })),
      };
    });
    return { rules: this.rules, rows, settled: this.settled.length };
  }

  sections(): ResourceSection[] {
    const given = new Map<string, { readonly anchor: string; readonly name: string }>();
    let fixes = 0;
    return this.attention.map(({ findings }, i) => {
      const first = findings[0] as Finding;
      const needing = findings.filter((f) => ATTENTION.has(f.status));
      return {
        anchor: resourceAnchor(i),
        ...refOf(first),
        findings: needing.flatMap((f) => this.views.get(f) ?? []),
        problems: problemsOf(needing.flatMap((f) => this.views.get(f) ?? [])),
        settled: this.cells(findings).filter((c) => c.status !== null && !ATTENTION.has(c.status)),
        fixes: resourceFixes(needing, this.documents).map((fix) => {
          const self = { anchor: `fix-${fixes++}`, name: nameOf(first) };
          if (fix.key !== null) return { ...fix, anchor: self.anchor, sameAs: null, likeFix: null, keyFix: this.keyAnchor(fix.key) };
          const same = JSON.stringify(['same', fix.key, fix.statements, fix.commands, fix.key === null ? fix.summaries : []]);
          const like = JSON.stringify(['like', fix.key, fix.summaries, fix.commands]);
          const sameAs = given.get(same) ?? null;
          const likeFix = sameAs === null ? (given.get(like) ?? null) : null;
          if (sameAs === null) given.set(same, self);
          if (sameAs === null && likeFix === null) given.set(like, self);
          return { ...fix, anchor: self.anchor, sameAs, likeFix, keyFix: null };
        }),
      };
    });
  }

  /** The id of a key's combined fix, in the order keys are first met among the resources needing attention. */
  private keyAnchor(key: string): string {
    let anchor = this.keyAnchors.get(key);
    if (anchor === undefined) {
      anchor = `key-fix-${this.keyAnchors.size}`;
      this.keyAnchors.set(key, anchor);
    }
    return anchor;
  }

  /** Each key's combined fix: the key-policy fixes of every resource that needs attention, merged per key. */
  keyFixes(prove: string): KeyFixView[] {
    const byKey = new Map<string, { resources: { name: string; anchor: string }[]; findings: Finding[] }>();
    for (const [i, { findings }] of this.attention.entries()) {
      for (const f of findings) {
        const key = ATTENTION.has(f.status) && f.fix?.statement !== undefined ? f.fix.document : undefined;
        if (key === undefined) continue;
        const entry = byKey.get(key) ?? { resources: [], findings: [] };
        if (!entry.resources.some((r) => r.anchor === resourceAnchor(i)))
          entry.resources.push({ name: nameOf(f), anchor: resourceAnchor(i) });
        entry.findings.push(f);
        byKey.set(key, entry);
      }
    }
    return [...byKey].map(([key, { resources, findings }]) => {
      const statements = mergeStatements(findings.map((f) => f.fix?.statement as StatementJson));
      const position = this.documents.position(key);
      return {
        anchor: this.keyAnchor(key),
        key,
        resources,
        rules: unique(findings.map((f) => f.ruleId)),
        summaries: [...new Set(findings.map((f) => f.fix?.summary ?? ''))],
        statements: statements.map((statement) => compactJson(statement)),
        policy: extendedPolicy(this.documents.policy(key), statements),
        policyAnchor: position === undefined ? null : policyAnchor(position),
        commands: [...new Set(findings.flatMap((f) => f.fix?.command ?? []))],
        prove,
      };
    });
  }

  passing(): PassingRow[] {
    return this.settled.map((findings) => {
      const first = findings[0] as Finding;
      const document = findings.flatMap((f) => evidenceItems(f)).find((e) => this.documents.position(e.document) !== undefined)?.document;
      const position = this.documents.position(document);
      return {
        ...refOf(first),
        policy: document === undefined || position === undefined ? null : { arn: document, anchor: policyAnchor(position) },
        cells: this.cells(findings),
      };
    });
  }

  /** One cell per rule for a resource's findings (sorted in rule order). */
  private cells(findings: readonly Finding[]): CellView[] {
    const byRule = new Map(findings.map((f) => [f.ruleId, f]));
    return this.rules.map(({ id, number }) => {
      const f = byRule.get(id);
      if (f === undefined) return { ruleId: id, number, status: null, anchor: null, links: [], note: null };
      return {
        ruleId: id,
        number,
        status: f.status,
        anchor: f.status === 'pass' || f.status === 'skip' ? null : (this.anchors.get(f) ?? null),
        // The finding's view already holds them (every finding has one): not worked out twice.
        links: (this.views.get(f)?.evidence ?? []).flatMap((e) => e.links),
        note: f.status === 'skip' ? f.message : null,
      };
    });
  }
}

/** Findings grouped by what they say: status, message and evidence alike. */
function problemsOf(findings: readonly FindingView[]): ProblemView[] {
  const groups = groupBy(findings, (f) => JSON.stringify([f.status, f.message, f.evidence, f.location]));
  return [...groups.values()].map((list) => {
    const first = list[0] as FindingView;
    return {
      status: first.status,
      message: first.message,
      rules: list.map((f) => ({ ruleId: f.ruleId, anchor: f.anchor })),
      evidence: first.evidence,
      location: first.location,
    };
  });
}

function refOf(f: Finding): ResourceRef {
  return { resource: f.resource.id, name: nameOf(f), account: f.resource.account, region: f.resource.region };
}

function nameOf(f: Finding): string {
  return f.resource.name ?? f.resource.id;
}

function resourceAnchor(i: number): string {
  return `resource-${i}`;
}

/**
 * The policy with the statements in it: each extends a statement of the same Sid and shape (keeping what it granted),
 * replaces one of the same Sid and another shape, or is added; null without a policy.
 */
function extendedPolicy(policy: unknown, statements: readonly StatementJson[]): string | null {
  if (statements.length === 0 || policy === null || typeof policy !== 'object') return null;
  const merged = [...statementsOf(policy)];
  for (const statement of statements) {
    const same = merged.findIndex((s) => (s as StatementJson | null)?.Sid === statement.Sid && statement.Sid !== undefined);
    if (same < 0) merged.push(statement);
    else {
      const both = mergeStatements([merged[same] as StatementJson, statement]);
      merged[same] = both.length === 1 ? both[0] : statement;
    }
  }
  return compactJson({ ...(policy as object), Statement: merged });
}

/** `trailguard fix` on the run's snapshots: it proves the combined change and writes it in every form. */
function proveCommand(results: ResultsDocument): string {
  const quote = (path: string) => (/^[\w./@:+-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`);
  const packs = results.packs.filter((p) => p.source !== 'built-in').map((p) => `--rules ${quote(p.source)}`);
  const builtIn = results.packs.some((p) => p.source === 'built-in') ? [] : ['--no-builtin'];
  // Templates and plans are imported again with what the check was told.
  const imported = results.inputs.find((i) => i.collection !== undefined);
  const settings =
    imported === undefined
      ? []
      : [
          `--account ${imported.account}`,
          ...(imported.regions?.[0] === undefined ? [] : [`--region ${quote(imported.regions[0])}`]),
          ...(imported.collection?.stackName === undefined ? [] : [`--stack-name ${quote(imported.collection.stackName)}`]),
          ...Object.entries(imported.collection?.parameters ?? {}).map(([name, value]) => `--parameters ${quote(`${name}=${value}`)}`),
        ];
  return ['trailguard fix', ...results.inputs.map((i) => quote(i.path)), ...settings, ...packs, ...builtIn, '--out-dir fixes'].join(' ');
}

/**
 * A resource's fixes, one per change: every statement its failing rules ask of one key merged into that key's policy
 * once; other fixes (another key, the key's state, the trail) once per distinct command.
 */
function resourceFixes(
  findings: readonly Finding[],
  documents: DocumentIndex,
): Omit<ResourceFixView, 'anchor' | 'sameAs' | 'likeFix' | 'keyFix'>[] {
  const withFix = findings.filter((f): f is Finding & { fix: NonNullable<Finding['fix']> } => f.fix !== undefined);
  const groups = groupBy(withFix, (f) =>
    f.fix.statement !== undefined && f.fix.document !== undefined ? `key ${f.fix.document}` : `do ${f.fix.command ?? f.fix.summary}`,
  );
  return [...groups.values()].map((list) => {
    const fixes = list.map((f) => f.fix);
    const key = fixes[0]?.statement !== undefined ? (fixes[0]?.document ?? null) : null;
    const statements = fixes.flatMap((fix) => (fix.statement === undefined ? [] : [fix.statement]));
    return {
      key,
      rules: unique(list.map((f) => f.ruleId)),
      summaries: [...new Set(fixes.map((fix) => fix.summary))],
      statements: statements.map((statement) => compactJson(statement)),
      policy: key === null ? null : extendedPolicy(documents.policy(key), statements as StatementJson[]),
      policyAnchor: key === null || documents.position(key) === undefined ? null : policyAnchor(documents.position(key) as number),
      commands: [...new Set(fixes.flatMap((fix) => fix.command ?? []))],
    };
  });
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
    ...refOf(f),
    message: f.message,
    evidence: evidence.map((e) => evidenceView(e, f.message, documents, full)),
    fix: f.fix === undefined ? null : fixView(f.fix, documents),
    waiver: f.evidence.waiver === undefined ? null : waiverView(f.evidence.waiver, f.resource.id),
    location: f.location === undefined ? null : `${f.location.file}:${f.location.line}:${f.location.column}`,
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
    lacks: full ? (details?.closest?.lacks ?? []).filter((lack) => !message.includes(lack)) : [],
    request: full && details?.request !== undefined ? compactJson(details.request) : null,
  };
}

function fixView(fix: NonNullable<Finding['fix']>, documents: DocumentIndex): FixView {
  const statement = fix.statement === undefined ? null : compactJson(fix.statement);
  const current = documents.policy(fix.document);
  return {
    summary: fix.summary,
    statement,
    command: fix.command ?? null,
    policy: fix.statement === undefined ? null : extendedPolicy(current, [fix.statement as StatementJson]),
  };
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
