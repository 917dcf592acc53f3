import { asffFormatter } from './format-asff.js';
import { csvFormatter } from './format-csv.js';
import { jsonFormatter } from './format-json.js';
import { junitFormatter } from './format-junit.js';
import { markdownSummaryFormatter } from './format-markdown-summary.js';
import { ocsfFormatter } from './format-ocsf.js';
import { sarifFormatter } from './format-sarif.js';
import { htmlFormatter, markdownFormatter } from './format-template.js';
import type { Formatter } from './formatter.js';

/** Every output format, by name; the CLI's --format choices come from this list. */
export const FORMATS: ReadonlyMap<string, Formatter> = new Map(
  [
    jsonFormatter,
    markdownSummaryFormatter,
    markdownFormatter,
    htmlFormatter,
    sarifFormatter,
    junitFormatter,
    csvFormatter,
    asffFormatter,
    ocsfFormatter,
  ].map((f) => [f.name, f]),
);
