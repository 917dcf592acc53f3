import { TrailguardError } from '../core/errors.js';
import { locateInJson } from '../input/json-location.js';
import { parseJson, readTextFile } from '../input/read-input.js';
import { loadSchemaValidator, type SchemaValidator } from '../input/schema-validation.js';
import type { ResultsDocument } from './results.js';

let validator: SchemaValidator | undefined;

/** Reads a saved results document, validated against schemas/results-v1.schema.json, for re-rendering. */
export async function loadResults(path: string): Promise<ResultsDocument> {
  const { text } = await readTextFile(path, 'results file');
  const data = parseJson(text, path);
  validator ??= loadSchemaValidator('results-v1.schema.json');
  const problems = validator.validate(data);
  if (problems.length > 0) {
    throw new TrailguardError(
      problems.map((p) => ({ code: 'results-schema', file: path, ...locateInJson(text, p.pointer, p.atKey), message: p.message })),
    );
  }
  return data as ResultsDocument;
}
