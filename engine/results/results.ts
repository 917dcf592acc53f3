import { atLeast, type Finding, SEVERITIES, type Severity, STATUSES, type Status } from '../core/model.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import type { ApiError, CollectionRecord, LoadedSnapshot } from '../snapshot/types.js';
import type { WaiverOutcome } from '../waivers/waivers.js';

/**
 * The results document version this trailguard writes (schemas/results-v2.schema.json); `render` also reads version 1
 * (schemas/results-v1.schema.json), whose findings carry their resource and evidence in full.
 */
export const RESULTS_VERSION = 2;

/** One snapshot file the run read: enough to prove which data was checked. */
export interface InputInfo {
  readonly path: string;
  readonly sha256: string;
  readonly account: string;
  readonly partition: string;
  readonly callerArn?: string;
  readonly collectedAt?: string;
  readonly collector?: { readonly name?: string; readonly version?: string };
  readonly regions?: readonly string[];
  /** For an input imported from templates or a plan: what it was imported from. */
  readonly collection?: CollectionRecord;
  /** API calls that failed while the snapshot was collected: coverage is incomplete unless another input covers each. */
  readonly errors: readonly InputError[];
}

export interface InputError extends ApiError {
  /** The input that holds what the failed call would have read (e.g. the key owner's own snapshot). */
  readonly coveredBy?: string;
}

export interface PackInfo {
  readonly name: string;
  readonly version: string;
  readonly source: string;
}

/** Everything in a results document except the findings and their summary. */
export interface ResultsHead {
  /** As read: a results file of version 1 keeps its number; every document written is {@link RESULTS_VERSION}. */
  readonly resultsVersion: 1 | typeof RESULTS_VERSION;
  readonly tool: { readonly name: 'trailguard'; readonly version: string };
  readonly generatedAt: string;
  readonly failOn: Severity;
  /** Whether unknown findings (the snapshots could not decide them) fail the run too. */
  readonly failOnUnknown: boolean;
  readonly packs: readonly PackInfo[];
  readonly rules: readonly RuleInfo[];
  readonly inputs: readonly InputInfo[];
}

/** The counts of a run: by status, rule and severity; how many findings fail it; how many inputs are incomplete. */
export interface Summary {
  readonly total: number;
  readonly byStatus: Readonly<Record<Status, number>>;
  readonly byRule: Readonly<Record<string, Readonly<Record<Status, number>>>>;
  readonly bySeverity: Readonly<Record<Severity, Readonly<Record<Status, number>>>>;
  /** Findings that make the run fail: status fail or error (and unknown, with failOnUnknown) at or above failOn. */
  readonly failing: number;
  /** Inputs whose collection recorded API errors that no other input covers. */
  readonly incompleteInputs: number;
}

/** What is known only once every finding has been produced. */
export interface ResultsTail {
  /** The looked-up documents findings refer to (key entries, by ARN): the statements evidence names are here. */
  readonly documents: Readonly<Record<string, unknown>>;
  /** With --waivers: what became of each waiver (applied, expired, unused). */
  readonly waivers?: readonly WaiverOutcome[];
  readonly summary: Summary;
}

/** A whole results document, as `check --format json` writes it and `render` reads it. */
export interface ResultsDocument extends ResultsHead, ResultsTail {
  readonly findings: readonly Finding[];
}

/** Results as formatters read them: the head, the findings (iterated once), then the tail. */
export interface ResultsStream {
  readonly head: ResultsHead;
  readonly findings: Iterable<Finding>;
  tail(): ResultsTail;
}

/** A saved results document as a stream, for re-rendering. */
export function streamOf(document: ResultsDocument): ResultsStream {
  const { findings, documents, waivers, summary, ...head } = document;
  return { head, findings, tail: () => ({ documents, ...(waivers === undefined ? {} : { waivers }), summary }) };
}

export function inputInfo(snapshot: LoadedSnapshot, coveredBy: (error: ApiError) => string | undefined = () => undefined): InputInfo {
  const d = snapshot.document;
  return {
    path: snapshot.path,
    sha256: snapshot.sha256,
    account: d.account.id,
    partition: d.account.partition,
    ...(d.account.callerArn === undefined ? {} : { callerArn: d.account.callerArn }),
    ...(d.collectedAt === undefined ? {} : { collectedAt: d.collectedAt }),
    ...(d.collector === undefined ? {} : { collector: d.collector }),
    ...(d.regions === undefined ? {} : { regions: d.regions }),
    ...(d.collection === undefined || d.collection.source === 'aws' ? {} : { collection: d.collection }),
    errors: (d.errors ?? []).map((error) => {
      const by = coveredBy(error);
      return by === undefined ? error : { ...error, coveredBy: by };
    }),
  };
}

/** Counts findings as they stream past, then gives the summary. */
export class SummaryBuilder {
  private total = 0;
  private failing = 0;
  private readonly byStatus = counts();
  private readonly byRule: Record<string, Record<Status, number>> = {};
  private readonly bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, counts()])) as Record<Severity, Record<Status, number>>;

  constructor(private readonly head: Pick<ResultsHead, 'failOn' | 'failOnUnknown' | 'inputs' | 'rules'>) {
    for (const rule of head.rules) this.byRule[rule.id] = counts();
  }

  add(finding: Finding): void {
    this.total++;
    this.byStatus[finding.status]++;
    this.bySeverity[finding.severity][finding.status]++;
    const rule = this.byRule[finding.ruleId] ?? counts();
    rule[finding.status]++;
    this.byRule[finding.ruleId] = rule;
    if (isFailing(finding, this.head.failOn, this.head.failOnUnknown)) this.failing++;
  }

  summary(): Summary {
    return {
      total: this.total,
      byStatus: this.byStatus,
      byRule: this.byRule,
      bySeverity: this.bySeverity,
      failing: this.failing,
      incompleteInputs: this.head.inputs.filter((i) => i.errors.some((e) => e.coveredBy === undefined)).length,
    };
  }
}

/**
 * A finding fails the run when its status is fail or error — or unknown, when asked — and its severity reaches the
 * threshold.
 */
export function isFailing(finding: Pick<Finding, 'status' | 'severity'>, failOn: Severity, failOnUnknown = false): boolean {
  const failingStatus = finding.status === 'fail' || finding.status === 'error' || (failOnUnknown && finding.status === 'unknown');
  return failingStatus && atLeast(finding.severity, failOn);
}

function counts(): Record<Status, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
}
