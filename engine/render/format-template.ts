import type { Finding } from '../model.js';
import type { ResultsHead, Summary } from '../results/results.js';
import type { Formatter } from './formatter.js';
import { builtInTemplate, compileTemplate } from './handlebars-env.js';
import { reportModel } from './report-model.js';

/** A report rendered by a Handlebars template over the whole results (template formats need every finding). */
function templateFormatter(name: string, extension: string, file: string, description: string): Formatter {
  return {
    name,
    extension,
    description,
    *format(head: ResultsHead, findings: Iterable<Finding>, summarize: () => Summary, options) {
      const all = [...findings];
      const results = { ...head, findings: all, summary: summarize() };
      const template = options.template === undefined ? builtInTemplate(file) : compileTemplate(options.template);
      const text = template(reportModel(results), { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
      yield text.endsWith('\n') ? text : `${text}\n`;
    },
  };
}

export const markdownFormatter = templateFormatter('markdown', 'md', 'report.md.hbs', 'a Markdown report (GitHub-flavoured)');
export const htmlFormatter = templateFormatter('html', 'html', 'report.html.hbs', 'a self-contained HTML evidence report');
