import type { Formatter } from './formatter.js';
import { builtInTemplate, compileTemplate } from './handlebars-env.js';
import { reportModel } from './report-model.js';

/** A report rendered by a Handlebars template over the whole results (template formats need every finding). */
function templateFormatter(name: string, extension: string, file: string, description: string): Formatter {
  return {
    name,
    extension,
    description,
    *format(stream, options) {
      const findings = [...stream.findings];
      const results = { ...stream.head, findings, ...stream.tail() };
      const template = options.template === undefined ? builtInTemplate(file) : compileTemplate(options.template);
      const text = template(reportModel(results), { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
      yield text.endsWith('\n') ? text : `${text}\n`;
    },
  };
}

export const markdownFormatter = templateFormatter('markdown', 'md', 'report.md.hbs', 'a Markdown report (GitHub-flavoured)');
export const htmlFormatter = templateFormatter('html', 'html', 'report.html.hbs', 'a self-contained HTML evidence report');
