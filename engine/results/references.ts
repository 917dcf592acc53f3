import { type Diagnostic, TrailguardError } from '../core/errors.js';
import type { Evidence, Finding, ResourceRef } from '../core/model.js';
import { displayPath } from '../input/schema-validation.js';
import type { ResultsDocument } from './results.js';

/**
 * Results version 2 writes each resource, and each evidence several findings share, once: a finding names them by
 * index into the document's `resources` and `evidence` lists. Which evidence is shared is decided by its text, in
 * the order findings come, so the same findings always give the same document, however they were produced (one
 * thread or several, each with its own memo of policy checks). The text is the one written anyway, so recognising a
 * repeat costs a map lookup; no hash is computed beyond the map's own.
 */
export class ReferenceTable {
  private readonly indexes = new Map<string, number>();

  /** The index of this JSON text, adding it when new. */
  add(json: string): number {
    let index = this.indexes.get(json);
    if (index === undefined) {
      index = this.indexes.size;
      this.indexes.set(json, index);
    }
    return index;
  }

  /** The texts in index order. */
  entries(): IterableIterator<string> {
    return this.indexes.keys();
  }
}

/**
 * Evidence naming the request of a failed policy check (it quotes the trail's own ARN) is specific to its finding and
 * is written in it; all other evidence goes to the shared list. Placement only: a reader resolves both alike.
 */
export function isShared(evidence: Evidence): boolean {
  const names = (list: Evidence['assertions']) =>
    (list ?? []).some((a) => a.details !== undefined && 'request' in a.details && a.details.request !== undefined);
  return !names(evidence.assertions) && !names(evidence.when);
}

/** A version 2 finding as written: resource and, possibly, evidence by index. */
export interface WrittenFinding extends Omit<Finding, 'resource' | 'evidence'> {
  readonly resource: number;
  readonly evidence: number | Evidence;
}

/**
 * The findings of a version 2 document with their references resolved, in the same shape (and key order) as the
 * check produced them; a reference past the end of its list is a problem located at the finding.
 */
export function resolveFindings(
  written: readonly WrittenFinding[],
  resources: readonly ResourceRef[],
  evidence: readonly Evidence[],
  problem: (pointer: string, message: string) => Diagnostic,
): { findings: Finding[]; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const findings = written.map((finding, i) => {
    const resource = resources[finding.resource];
    if (resource === undefined)
      problems.push(
        problem(`/findings/${i}/resource`, `refers to resources[${finding.resource}], but there are ${resources.length} resources`),
      );
    let shared = finding.evidence;
    if (typeof shared === 'number') {
      const entry = evidence[shared];
      if (entry === undefined)
        problems.push(
          problem(`/findings/${i}/evidence`, `refers to evidence[${shared}], but there are ${evidence.length} evidence entries`),
        );
      shared = entry ?? {};
    }
    return { ...finding, resource: resource as ResourceRef, evidence: shared };
  });
  return { findings, problems };
}

/**
 * A parsed results document with version 2's references resolved, so each finding carries its resource and evidence
 * in full as in version 1 (a version 1 document is returned as it is). For programs reading `check --format json`
 * output; `loadResults` does the same for a file, and validates it first.
 */
export function resolveResults(document: unknown): ResultsDocument {
  return resolveDocument(document, (pointer, message) => ({ code: 'results-schema', message: `${displayPath(pointer)} ${message}` }));
}

/** {@link resolveResults}, with each dangling reference reported by `problem` (which locates it in its file). */
export function resolveDocument(document: unknown, problem: (pointer: string, message: string) => Diagnostic): ResultsDocument {
  const data = document as ResultsDocument & { findings: WrittenFinding[]; resources?: ResourceRef[]; evidence?: Evidence[] };
  if (data.resultsVersion === 1) return data;
  const { findings, resources = [], evidence = [], ...rest } = data;
  const resolved = resolveFindings(findings, resources, evidence, problem);
  if (resolved.problems.length > 0) throw new TrailguardError(resolved.problems);
  const { documents, waivers, summary, ...head } = rest;
  return { ...head, findings: resolved.findings, documents, ...(waivers === undefined ? {} : { waivers }), summary };
}
