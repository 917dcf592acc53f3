import { TrailguardError } from '../core/errors.js';
import { readJsonFile, schemaProblems } from '../input/documents.js';
import { displayPath } from '../input/schema-validation.js';
import { resolveDocument } from './references.js';
import type { ResultsDocument } from './results.js';

/**
 * Reads a saved results document for re-rendering: version 2 (schemas/results-v2.schema.json), with its resources
 * and shared evidence resolved into each finding, or version 1 (schemas/results-v1.schema.json) as it is.
 */
export async function loadResults(path: string): Promise<ResultsDocument> {
  const document = await readJsonFile(path, 'results file');
  const data = document.data as { resultsVersion?: unknown };
  const version = data !== null && typeof data === 'object' && data.resultsVersion === 1 ? 1 : 2;
  const problems = schemaProblems(`results-v${version}.schema.json`, document, 'results-schema');
  if (problems.length > 0) throw new TrailguardError(problems);
  return resolveDocument(document.data, (pointer, message) => ({
    code: 'results-schema',
    file: document.file,
    ...document.locate(pointer),
    message: `${displayPath(pointer)} ${message}`,
  }));
}
