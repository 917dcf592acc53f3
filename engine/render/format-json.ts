import type { Formatter } from './formatter.js';

/**
 * The results document (schemas/results-v1.schema.json) as JSON. Findings are written one per line as they are
 * produced, so an organisation-size run never holds all of them, nor one giant string, in memory; the summary
 * comes last because it counts them.
 */
export const jsonFormatter: Formatter = {
  name: 'json',
  extension: 'json',
  description: 'the versioned results document (the default)',
  *format(head, findings, summarize) {
    const opening = JSON.stringify(head, null, 2);
    yield `${opening.slice(0, -2)},\n  "findings": [`;
    let first = true;
    for (const finding of findings) {
      yield `${first ? '\n    ' : ',\n    '}${JSON.stringify(finding)}`;
      first = false;
    }
    yield `${first ? '' : '\n  '}],\n  "summary": ${JSON.stringify(summarize(), null, 2).replaceAll('\n', '\n  ')}\n}\n`;
  },
};
