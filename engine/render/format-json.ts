import type { Finding, ResourceRef } from '../core/model.js';
import { jsonSafe } from '../core/safe-text.js';
import { isShared, ReferenceTable } from '../results/references.js';
import { RESULTS_VERSION } from '../results/results.js';
import type { Formatter } from './formatter.js';

/**
 * The results document (schemas/results-v2.schema.json) as JSON. Findings are written one per line as they are
 * produced, so an organisation-size run never holds all of them, nor one giant string, in memory. Each resource and
 * each evidence several findings share is written once, after the findings, with the summary and the documents they
 * refer to, which are known only then.
 */
export const jsonFormatter: Formatter = {
  name: 'json',
  extension: 'json',
  description: 'the versioned results document (the default)',
  *format(results) {
    const opening = jsonSafe(JSON.stringify({ ...results.head, resultsVersion: RESULTS_VERSION }, null, 2));
    yield `${opening.slice(0, -2)},\n  "findings": [`;
    const resources = new ReferenceTable();
    const evidence = new ReferenceTable();
    // A resource's findings share its ref object: its index is found once per resource, not once per finding.
    const resourceIndex = new WeakMap<ResourceRef, number>();
    let first = true;
    for (const finding of results.findings) {
      let resource = resourceIndex.get(finding.resource);
      if (resource === undefined) {
        resource = resources.add(jsonSafe(JSON.stringify(finding.resource)));
        resourceIndex.set(finding.resource, resource);
      }
      const evidenceJson = JSON.stringify(finding.evidence);
      const written = isShared(finding.evidence) ? String(evidence.add(evidenceJson)) : jsonSafe(evidenceJson);
      yield `${first ? '\n    ' : ',\n    '}${findingJson(finding, resource, written)}`;
      first = false;
    }
    yield `${first ? '' : '\n  '}],`;
    yield* list('resources', resources.entries());
    yield* list('evidence', map(evidence.entries(), jsonSafe));
    const { documents, waivers, summary } = results.tail();
    yield '\n  "documents": {';
    let firstDocument = true;
    for (const [id, document] of Object.entries(documents)) {
      yield `${firstDocument ? '\n    ' : ',\n    '}${jsonSafe(JSON.stringify(id))}: ${jsonSafe(JSON.stringify(document))}`;
      firstDocument = false;
    }
    yield `${firstDocument ? '' : '\n  '}},`;
    if (waivers !== undefined)
      yield `\n  "waivers": [${waivers.map((w) => `\n    ${jsonSafe(JSON.stringify(w))}`).join(',')}${waivers.length === 0 ? '' : '\n  '}],`;
    yield `\n  "summary": ${JSON.stringify(summary, null, 2).replaceAll('\n', '\n  ')}\n}\n`;
  },
};

/** A finding as version 2 writes it: its fields in the model's order, resource and shared evidence by index. */
function findingJson(finding: Finding, resource: number, evidence: string): string {
  const fix = finding.fix === undefined ? '' : `,"fix":${jsonSafe(JSON.stringify(finding.fix))}`;
  const location = finding.location === undefined ? '' : `,"location":${jsonSafe(JSON.stringify(finding.location))}`;
  return `{"ruleId":${JSON.stringify(finding.ruleId)},"severity":"${finding.severity}","resource":${resource},"status":"${finding.status}","message":${jsonSafe(JSON.stringify(finding.message))},"evidence":${evidence}${fix}${location}}`;
}

/** `"name": [` with one JSON text per line `]`, then a comma: a list of the document written from its texts. */
function* list(name: string, entries: Iterable<string>): Generator<string> {
  yield `\n  ${JSON.stringify(name)}: [`;
  let first = true;
  for (const entry of entries) {
    yield `${first ? '\n    ' : ',\n    '}${entry}`;
    first = false;
  }
  yield `${first ? '' : '\n  '}],`;
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
