import type { Finding } from '../model.js';
import type { ResultsHead, Summary } from '../results/results.js';

/** Options every formatter receives. */
export interface FormatOptions {
  /** A user's Handlebars template, replacing the built-in one (template formats only). */
  readonly template?: string;
}

/**
 * One output format. `format` yields the output in chunks from the results' head and findings (consumed once);
 * the summary is handed over when the findings are exhausted. The CLI does the writing.
 */
export interface Formatter {
  readonly name: string;
  readonly extension: string;
  readonly description: string;
  format(head: ResultsHead, findings: Iterable<Finding>, summarize: () => Summary, options: FormatOptions): Iterable<string>;
}
