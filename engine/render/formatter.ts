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
