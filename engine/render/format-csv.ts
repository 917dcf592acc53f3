import { createRequire } from 'node:module';
import type { stringify as Stringify } from 'csv-stringify/sync';
import type { Finding } from '../core/model.js';
import { terminalSafeLines } from '../core/safe-text.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import { evidenceItems, evidenceLine, type Formatter } from './formatter.js';

const COLUMNS = [
  'status',
  'severity',
  'rule_id',
  'rule_title',
  'account',
  'region',
  'resource_type',
  'resource_id',
  'resource_name',
  'message',
  'evidence',
  'fix',
  'controls',
  'waiver_reason',
  'waiver_owner',
  'waiver_expires',
  'generated_at',
  'location',
] as const;

/**
 * One row per finding with the columns an auditor filters on. Cells that a spreadsheet would read as a formula
 * (starting with = + - @ or a control character) are prefixed with an apostrophe, so a hostile trail name cannot run
 * in Excel.
 */
export const csvFormatter: Formatter = {
  name: 'csv',
  extension: 'csv',
  description: 'CSV, one row per finding',
  *format(results) {
    const rules = new Map(results.head.rules.map((r) => [r.id, r]));
    // Loaded only when CSV is written.
    const { stringify } = createRequire(import.meta.url)('csv-stringify/sync') as { stringify: typeof Stringify };
    yield stringify([[...COLUMNS]]);
    for (const f of results.findings) {
      yield terminalSafeLines(stringify([row(f, rules.get(f.ruleId), results.head.generatedAt).map(neutralise)]));
    }
  },
};

function row(f: Finding, rule: RuleInfo | undefined, generatedAt: string): string[] {
  const evidence = evidenceItems(f).map(evidenceLine);
  return [
    f.status,
    f.severity,
    f.ruleId,
    rule?.title ?? '',
    f.resource.account,
    f.resource.region,
    f.resource.type,
    f.resource.id,
    f.resource.name ?? '',
    f.message,
    evidence.join(' | '),
    f.fix === undefined ? '' : [f.fix.summary, f.fix.command ?? ''].filter((s) => s !== '').join(' | '),
    rule === undefined ? '' : controls(rule),
    f.evidence.waiver?.reason ?? '',
    f.evidence.waiver?.owner ?? '',
    f.evidence.waiver?.expires ?? '',
    generatedAt,
    f.location === undefined ? '' : `${f.location.file}:${f.location.line}:${f.location.column}`,
  ];
}

function controls(rule: RuleInfo): string {
  return Object.entries(rule.controls)
    .map(([framework, value]) => {
      if (typeof value === 'string') return `${framework} ${value}`;
      if (Array.isArray(value)) return `${framework} ${value.join(', ')}`;
      return Object.entries(value as Record<string, unknown>)
        .map(([version, id]) => `${framework} v${version} ${String(id)}`)
        .join('; ');
    })
    .join('; ');
}

function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
