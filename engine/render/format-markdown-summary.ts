import { markdownText } from '../core/markdown-text.js';
import type { Finding, Status } from '../core/model.js';
import { terminalSafeLines } from '../core/safe-text.js';
import type { Formatter } from './formatter.js';
import { evidenceItems, evidenceLine } from './formatter.js';
import { reportTitle } from './report-model.js';

/** GitHub's limit for a comment, and what this report keeps under it (room for the closing pointer). */
export const COMMENT_LIMIT = 65_536;
const BUDGET = 60_000;
/** What is kept while findings stream past: enough to fill the budget, however many findings there are. */
const ROWS_KEPT = 400;
const FAILURES_KEPT = 100;

const ATTENTION: ReadonlySet<Status> = new Set(['fail', 'error', 'unknown']);
const RANK: Readonly<Record<Status, number>> = { fail: 0, error: 1, unknown: 2, waived: 3, pass: 4, skip: 5 };

interface Row {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly cells: Map<string, Status>;
  rank: number;
}

/**
 * The Markdown report cut to fit where it is posted (a GitHub comment holds 65,536 characters), for any number of
 * findings: the verdict, the resources needing attention (failing first) and the first failures in full, then what
 * was left out and how to see everything (`markdown-full`, `html`). Findings are read once; only what can be shown
 * is kept.
 */
export const markdownSummaryFormatter: Formatter = {
  name: 'markdown',
  extension: 'md',
  description: 'a Markdown summary that fits a GitHub comment (markdown-full for everything)',
  *format(results) {
    const rules = results.head.rules;
    const number = new Map(rules.map((r, i) => [r.id, i + 1]));
    const rows = new Map<string, Row>();
    const failures: Finding[] = [];
    let attention = 0;
    let failing = 0;
    // A resource's findings come together (rules are evaluated resource by resource): the verdicts it had before its
    // first one needing attention are kept for its row.
    let current: { id: string; cells: Map<string, Status> } = { id: '', cells: new Map() };
    for (const finding of results.findings) {
      const id = finding.resource.id;
      if (current.id !== id) current = { id, cells: new Map() };
      let row = rows.get(id);
      if (row === undefined && ATTENTION.has(finding.status)) {
        attention++;
        if (rows.size < ROWS_KEPT || finding.status === 'fail') {
          row = {
            name: finding.resource.name ?? id,
            account: finding.resource.account,
            region: finding.resource.region,
            cells: current.cells,
            rank: 9,
          };
          rows.set(id, row);
        }
      }
      current.cells.set(finding.ruleId, finding.status);
      if (row !== undefined) {
        row.cells.set(finding.ruleId, finding.status);
        row.rank = Math.min(row.rank, RANK[finding.status]);
      }
      if (finding.status === 'fail') {
        failing++;
        if (failures.length < FAILURES_KEPT) failures.push(finding);
      }
    }
    const { summary } = results.tail();
    const head = results.head;
    const complete = summary.incompleteInputs === 0;
    const outcome = summary.failing > 0 ? 'Fails' : complete ? 'Passes' : 'Passes, but coverage is incomplete';
    const counts = Object.entries(summary.byStatus)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(' · ');
    const out: string[] = [
      `# Evidence report: ${markdownText(reportTitle(head))}`,
      '',
      `Generated ${markdownText(head.generatedAt)} by trailguard ${markdownText(head.tool.version)}. Rule packs: ${head.packs.map((p) => `${markdownText(p.name)} ${markdownText(p.version)}`).join(', ')}.`,
      '',
      `> **${outcome}**: ${summary.failing} finding(s) fail the run (fail or error${head.failOnUnknown ? ' or unknown' : ''} at or above ${head.failOn}); ${attention} resource(s) need attention; coverage is ${complete ? 'complete' : '**incomplete**'}.`,
      `> ${counts}`,
    ];
    let size = out.join('\n').length;
    const add = (line: string): boolean => {
      if (size + line.length + 1 > BUDGET) return false;
      out.push(line);
      size += line.length + 1;
      return true;
    };
    const sorted = [...rows.values()].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
    let shownRows = 0;
    if (sorted.length > 0) {
      add('');
      add('## Resources needing attention');
      add('');
      add(`| Resource | Account | Region |${rules.map((_, i) => ` R${i + 1} |`).join('')}`);
      add(`| --- | --- | --- |${rules.map(() => ' --- |').join('')}`);
      // Half the budget at most for the table: the failures themselves come next.
      for (const row of sorted) {
        if (size > BUDGET / 2) break;
        const cells = rules.map((r) => ` ${row.cells.get(r.id) ?? '—'} |`).join('');
        if (!add(`| ${markdownText(row.name)} | ${markdownText(row.account)} | ${markdownText(row.region)} |${cells}`)) break;
        shownRows++;
      }
      add('');
      add(rules.map((r, i) => `R${i + 1} ${markdownText(r.id)}`).join(' · '));
    }
    let shownFailures = 0;
    if (failures.length > 0) {
      add('');
      add('## Failures');
      for (const f of failures) {
        const lines = [
          '',
          `### ${markdownText(f.resource.name ?? f.resource.id)}: R${number.get(f.ruleId) ?? '?'} ${markdownText(f.ruleId)}`,
          '',
          markdownText(f.message),
          ...(f.location === undefined
            ? []
            : ['', `In \`${f.location.file.replaceAll('`', "'")}:${f.location.line}:${f.location.column}\``]),
          ...evidenceItems(f)
            .filter((e) => e.status !== 'pass')
            .map((e) => `- ${markdownText(evidenceLine(e))}`),
          ...(f.fix === undefined ? [] : ['', `**Fix.** ${markdownText(f.fix.summary)}`]),
        ];
        const text = lines.join('\n');
        if (size + text.length + 1 > BUDGET) break;
        out.push(text);
        size += text.length + 1;
        shownFailures++;
      }
    }
    const left = [
      ...(attention > shownRows ? [`${attention - shownRows} more resource(s) needing attention`] : []),
      ...(failing > shownFailures ? [`${failing - shownFailures} more failing finding(s)`] : []),
    ];
    out.push(
      '',
      '---',
      '',
      `${left.length === 0 ? 'Everything that needs attention is above.' : `Cut to fit a comment: ${left.join(' and ')} are not shown.`} The full report: \`trailguard render RESULTS.json --format markdown-full\` (or \`--format html\`), from the results of \`check --format json\`.`,
    );
    yield terminalSafeLines(`${out.join('\n')}\n`);
  },
};
