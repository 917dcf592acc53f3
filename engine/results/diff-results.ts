import { statementLabel } from '../core/evidence.js';
import type { Finding, ResourceRef, Status } from '../core/model.js';
import { stableJson } from '../core/stable-json.js';
import type { ResultsDocument } from './results.js';

/** One (rule, resource) pair whose finding the two results compare. */
export interface FindingChange {
  readonly ruleId: string;
  readonly resource: ResourceRef;
  /** Its status in the earlier results; absent when the earlier results have no such finding. */
  readonly before?: Status;
  readonly after?: Status;
  /** The later message (or the earlier one, for a finding the later results no longer have). */
  readonly message: string;
}

/** A key whose policy differs between the two results: the statements only one of them holds. */
export interface PolicyChange {
  readonly key: string;
  readonly added: readonly ChangedStatement[];
  readonly removed: readonly ChangedStatement[];
}

/** A statement only one of the two policies holds, with its place in that policy. */
export interface ChangedStatement {
  /** `Statement[2] (Sid "…")`, as the policy it belongs to numbers it. */
  readonly label: string;
  readonly statement: unknown;
}

/** What changed from one results document to the next ("what changed since the last audit"). */
export interface ResultsDiff {
  readonly before: { readonly generatedAt: string; readonly findings: number };
  readonly after: { readonly generatedAt: string; readonly findings: number };
  /** Failing now, and not before (passing, another status, or not there at all). */
  readonly newlyFailing: readonly FindingChange[];
  /** Failing before, passing (or skipped, or waived) now. */
  readonly resolved: readonly FindingChange[];
  readonly stillFailing: readonly FindingChange[];
  /** Every other change of status: a pass that became unknown, a failure that can no longer be decided… */
  readonly otherChanges: readonly FindingChange[];
  readonly resourcesAdded: readonly ResourceRef[];
  readonly resourcesRemoved: readonly ResourceRef[];
  readonly keysAdded: readonly string[];
  readonly keysRemoved: readonly string[];
  readonly policyChanges: readonly PolicyChange[];
}

const RESOLVED: ReadonlySet<Status> = new Set(['pass', 'skip', 'waived']);

/**
 * Compares two results documents (an earlier and a later check of the same estate), finding by finding, by rule and
 * resource id; and the keys their documents hold, statement by statement.
 */
export function diffResults(before: ResultsDocument, after: ResultsDocument): ResultsDiff {
  const earlier = byIdentity(before.findings);
  const later = byIdentity(after.findings);
  const newlyFailing: FindingChange[] = [];
  const resolved: FindingChange[] = [];
  const stillFailing: FindingChange[] = [];
  const otherChanges: FindingChange[] = [];
  for (const [id, now] of later) {
    const then = earlier.get(id);
    const change: FindingChange = {
      ruleId: now.ruleId,
      resource: now.resource,
      ...(then === undefined ? {} : { before: then.status }),
      after: now.status,
      message: now.message,
    };
    if (now.status === 'fail') (then?.status === 'fail' ? stillFailing : newlyFailing).push(change);
    else if (then?.status === 'fail' && RESOLVED.has(now.status)) resolved.push(change);
    else if (then !== undefined && then.status !== now.status) otherChanges.push(change);
  }
  for (const [id, then] of earlier) {
    if (later.has(id) || then.status === 'pass' || then.status === 'skip') continue;
    // A failing (or undecided) finding that is gone: its resource or rule is no longer checked, which is not a fix.
    otherChanges.push({ ruleId: then.ruleId, resource: then.resource, before: then.status, message: then.message });
  }
  const resourcesBefore = resources(before.findings);
  const resourcesAfter = resources(after.findings);
  const keysBefore = keys(before.documents);
  const keysAfter = keys(after.documents);
  return {
    before: { generatedAt: before.generatedAt, findings: before.findings.length },
    after: { generatedAt: after.generatedAt, findings: after.findings.length },
    newlyFailing,
    resolved,
    stillFailing,
    otherChanges,
    resourcesAdded: [...resourcesAfter.values()].filter((r) => !resourcesBefore.has(r.id)),
    resourcesRemoved: [...resourcesBefore.values()].filter((r) => !resourcesAfter.has(r.id)),
    keysAdded: [...keysAfter.keys()].filter((k) => !keysBefore.has(k)),
    keysRemoved: [...keysBefore.keys()].filter((k) => !keysAfter.has(k)),
    policyChanges: [...keysAfter].flatMap(([key, document]) => {
      if (!keysBefore.has(key)) return [];
      const change = policyChange(key, keysBefore.get(key), document);
      return change === undefined ? [] : [change];
    }),
  };
}

function byIdentity(findings: readonly Finding[]): Map<string, Finding> {
  return new Map(findings.map((f) => [`${f.ruleId}\n${f.resource.id}`, f]));
}

function resources(findings: readonly Finding[]): Map<string, ResourceRef> {
  const out = new Map<string, ResourceRef>();
  for (const f of findings)
    if (f.ruleId !== 'trailguard-collection-coverage' && !out.has(f.resource.id)) out.set(f.resource.id, f.resource);
  return out;
}

/** The KMS keys among the looked-up documents (others, such as a trail's status, are not keys). */
function keys(documents: Readonly<Record<string, unknown>>): Map<string, unknown> {
  return new Map(Object.entries(documents).filter(([id]) => /^arn:[^:]+:kms:[^:]*:\d{12}:key\//.test(id)));
}

/** The statements only one side's policy holds, compared as JSON with keys in order (formatting is not a change). */
function policyChange(key: string, before: unknown, after: unknown): PolicyChange | undefined {
  const then = statements(before);
  const now = statements(after);
  const thenTexts = new Set(then.map((s) => stableJson(s.statement)));
  const nowTexts = new Set(now.map((s) => stableJson(s.statement)));
  const added = now.filter((s) => !thenTexts.has(stableJson(s.statement)));
  const removed = then.filter((s) => !nowTexts.has(stableJson(s.statement)));
  return added.length === 0 && removed.length === 0 ? undefined : { key, added, removed };
}

function statements(document: unknown): ChangedStatement[] {
  const policy = (document as { policy?: unknown } | null)?.policy;
  const list = (policy as { Statement?: unknown } | null | undefined)?.Statement;
  const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
  return items.map((statement, index) => {
    const sid = (statement as { Sid?: unknown } | null)?.Sid;
    return { label: statementLabel({ index, sid }), statement };
  });
}
