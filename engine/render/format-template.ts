import { TrailguardError } from '../core/errors.js';
import { terminalSafeLines } from '../core/safe-text.js';
import type { Formatter } from './formatter.js';
import { builtInTemplate, compileTemplate, HELPERS, type ParseErrorHash, precompileTemplate } from './handlebars-env.js';
import { reportContext } from './report-model.js';

/** Renders a report with a Handlebars template over the whole results (template formats need every finding). */
function templateFormatter(name: string, extension: string, file: string, description: string): Formatter {
  return {
    name,
    extension,
    description,
    *format(stream, options) {
      const findings = [...stream.findings];
      const context = reportContext({ ...stream.head, findings, ...stream.tail() });
      const user = options.template;
      const template = user === undefined ? builtInTemplate(file) : compileTemplate(user.source);
      let text: string;
      try {
        text = template(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
      } catch (error) {
        throw user === undefined ? error : templateError(error, user.file);
      }
      const safe = terminalSafeLines(text);
      yield safe.endsWith('\n') || safe === '' ? safe : `${safe}\n`;
    },
  };
}

/** Checks a user's template before any evaluation runs: a syntax error or unknown helper is reported at once. */
export function checkTemplate(source: string, file: string): void {
  try {
    precompileTemplate(source);
  } catch (error) {
    throw templateError(error, file);
  }
}

/** Handlebars reports its errors with a 1-based line and 0-based column; say them like a compiler. */
function templateError(error: unknown, file: string): TrailguardError {
  const e = error as { message?: string; lineNumber?: number; column?: number; hash?: ParseErrorHash };
  if (e.hash?.loc !== undefined) {
    const { loc, token, text, expected = [] } = e.hash;
    const found = token === 'EOF' ? 'the end of the template' : JSON.stringify(text);
    const problem = expected.some((t) => t.includes('OPEN_ENDBLOCK'))
      ? `found ${found} where a block must be closed: a {{#…}} has no matching {{/…}}`
      : `found ${found} where Handlebars expected ${expected.includes("'ID'") ? 'a field name or a value' : expected.map((t) => t.replaceAll("'", '')).join(', ')}`;
    return new TrailguardError(
      { code: 'template', file, line: loc.last_line, column: loc.last_column + 1, message: `template syntax error: ${problem}` },
      { cause: error },
    );
  }
  let problem = (e.message ?? String(error)).replace(/ - \d+:\d+$/, '').split('\n')[0] ?? '';
  const helper = /unknown helper (\S+)/.exec(problem)?.[1];
  if (helper !== undefined) problem = `unknown helper ${JSON.stringify(helper)}: the helpers are ${Object.keys(HELPERS).join(', ')}`;
  // Strict mode names the missing field but shows the object it looked in as "[object Object]".
  const field = /^"([^"]*)" not defined in /.exec(problem)?.[1];
  if (field !== undefined)
    problem = `${JSON.stringify(field)} is not a field of the data at this point (templates are strict; see docs/templates.md)`;
  const message = `template error: ${problem}`;
  const where = typeof e.lineNumber === 'number' ? { line: e.lineNumber, column: (e.column ?? 0) + 1 } : {};
  return new TrailguardError({ code: 'template', file, ...where, message }, { cause: error });
}

export const markdownFormatter = templateFormatter('markdown-full', 'md', 'report.md.hbs', 'the whole Markdown report (GitHub-flavoured)');
export const htmlFormatter = templateFormatter('html', 'html', 'report.html.hbs', 'a self-contained HTML evidence report');
/** `--template FILE`: the user's template, over the same context as the built-in reports. */
export const customTemplateFormatter = templateFormatter('template', 'txt', '', "a user's Handlebars template (--template)");
