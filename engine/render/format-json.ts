import { jsonSafe } from '../core/safe-text.js';
import type { Formatter } from './formatter.js';

/**
 * The results document (schemas/results-v1.schema.json) as JSON. Findings are written one per line as they are
 * produced, so an organisation-size run never holds all of them, nor one giant string, in memory; the summary
 * and the documents they refer to come last because they are known only then.
 */
export const jsonFormatter: Formatter = {
  name: 'json',
  extension: 'json',
  description: 'the versioned results document (the default)',
  *format(results) {
    const opening = jsonSafe(JSON.stringify(results.head, null, 2));
    yield `${opening.slice(0, -2)},\n  "findings": [`;
    let first = true;
    for (const finding of results.findings) {
      yield `${first ? '\n    ' : ',\n    '}${jsonSafe(JSON.stringify(finding))}`;
      first = false;
    }
    const { documents, waivers, summary } = results.tail();
    yield `${first ? '' : '\n  '}],\n  "documents": {`;
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
