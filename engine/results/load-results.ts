import { TrailguardError } from '../core/errors.js';
import { readJsonFile, schemaProblems } from '../input/documents.js';
import type { ResultsDocument } from './results.js';

/** Reads a saved results document, validated against schemas/results-v1.schema.json, for re-rendering. */
export async function loadResults(path: string): Promise<ResultsDocument> {
  const document = await readJsonFile(path, 'results file');
  const problems = schemaProblems('results-v1.schema.json', document, 'results-schema');
  if (problems.length > 0) throw new TrailguardError(problems);
  return document.data as ResultsDocument;
}
