import type { AssertionEvidence, Finding } from '../core/model.js';
import type { ResultsStream } from '../results/results.js';

/** Options every formatter receives. */
export interface FormatOptions {
  /** A user's Handlebars template (its text and file, for error locations), for the template formatter. */
  readonly template?: { readonly source: string; readonly file: string };
}

/**
 * One output format: a function of the results stream (head, findings iterated once, then the tail) yielding the
 * output in chunks. The CLI does the writing.
 */
export interface Formatter {
  readonly name: string;
  readonly extension: string;
  readonly description: string;
  format(results: ResultsStream, options: FormatOptions): Iterable<string>;
}

/** A finding's evidence items: the `when` conditions (when the rule did not apply), then the assertions. */
export function evidenceItems(f: Finding): readonly AssertionEvidence[] {
  return [...(f.evidence.when ?? []), ...(f.evidence.assertions ?? [])];
}

/** One evidence item as a line of plain text, for the formats without structure (CSV, JUnit). */
export function evidenceLine(e: AssertionEvidence): string {
  return `${e.path} ${e.op} ${e.status}: ${e.reason}`;
}
