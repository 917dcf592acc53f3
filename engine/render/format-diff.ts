import { fencedBlock, markdownText } from '../core/markdown-text.js';
import type { ResourceRef } from '../core/model.js';
import { jsonSafe } from '../core/safe-text.js';
import type { FindingChange, ResultsDiff } from '../results/diff-results.js';

/** The formats `trailguard diff` writes. */
export const DIFF_FORMATS = ['markdown', 'json'] as const;
/** `markdown` (the default) or `json`. */
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** A results diff as Markdown (what an auditor files beside the report) or as JSON (for programs). */
export function formatDiff(diff: ResultsDiff, format: DiffFormat, files: { readonly before: string; readonly after: string }): string {
  if (format === 'json') {
    const document = { ...diff, before: { file: files.before, ...diff.before }, after: { file: files.after, ...diff.after } };
    return `${jsonSafe(JSON.stringify(document, null, 2))}\n`;
  }
  const out: string[] = [
    '# What changed since the last check',
    '',
    `Earlier: ${markdownText(files.before)} (generated ${markdownText(diff.before.generatedAt)}, ${diff.before.findings} findings). ` +
      `Later: ${markdownText(files.after)} (generated ${markdownText(diff.after.generatedAt)}, ${diff.after.findings} findings).`,
    '',
    `**${count(diff.newlyFailing.length, 'newly failing', 'newly failing')}, ${count(diff.resolved.length, 'resolved', 'resolved')}, ` +
      `${count(diff.stillFailing.length, 'still failing', 'still failing')}, ${count(diff.otherChanges.length, 'other change', 'other changes')}**; ` +
      `${count(diff.resourcesAdded.length, 'resource added', 'resources added')}, ${count(diff.resourcesRemoved.length, 'removed', 'removed')}; ` +
      `${count(diff.policyChanges.length, 'key policy changed', 'key policies changed')}.`,
  ];
  out.push(...changes('Newly failing', diff.newlyFailing, true));
  out.push(...changes('Resolved', diff.resolved, true));
  out.push(...changes('Other changes of status', diff.otherChanges, false));
  out.push(...changes('Still failing', diff.stillFailing, false));
  out.push(...resourceList('Resources added', diff.resourcesAdded), ...resourceList('Resources removed', diff.resourcesRemoved));
  out.push(...idList('Keys added', diff.keysAdded), ...idList('Keys removed', diff.keysRemoved));
  if (diff.policyChanges.length > 0) {
    out.push('', `## Key policies changed (${diff.policyChanges.length})`);
    for (const change of diff.policyChanges) {
      out.push('', `### ${markdownText(change.key)}`);
      for (const [verb, list] of [
        ['Added', change.added],
        ['Removed', change.removed],
      ] as const) {
        for (const s of list)
          out.push('', `${verb}: ${markdownText(s.label)}`, '', fencedBlock(JSON.stringify(s.statement, null, 2), 'json'));
      }
    }
  }
  return `${jsonSafe(out.join('\n'))}\n`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A section of findings; the first ones are always shown (an empty one says so), the others only when not empty. */
function changes(title: string, list: readonly FindingChange[], always: boolean): string[] {
  if (list.length === 0) return always ? ['', `## ${title} (0)`, '', 'None.'] : [];
  const rows = list.map(
    (c) =>
      `| ${markdownText(c.ruleId)} | ${markdownText(c.resource.name ?? c.resource.id)} | ${c.before ?? '—'} | ${c.after ?? 'gone'} | ${markdownText(c.message)} |`,
  );
  return [
    '',
    `## ${title} (${list.length})`,
    '',
    '| Rule | Resource | Before | Now | Message |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

function resourceList(title: string, list: readonly ResourceRef[]): string[] {
  return idList(
    title,
    list.map((r) => r.id),
  );
}

function idList(title: string, ids: readonly string[]): string[] {
  return ids.length === 0 ? [] : ['', `## ${title} (${ids.length})`, '', ...ids.map((id) => `- ${markdownText(id)}`)];
}
