import { type ResultsHead, STATUSES, type Summary, type WaiverOutcome } from '../engine/index.js';

/** `trailguard: 20 findings (4 fail, 2 unknown, 14 pass) for 4 rules on 1 snapshot; 4 failing at or above info → out.json` */
export function describeSummary(
  summary: Summary,
  head: ResultsHead,
  out: string | undefined,
  waivers: readonly WaiverOutcome[] = [],
): string {
  const parts = STATUSES.filter((s) => summary.byStatus[s] > 0).map((s) => `${summary.byStatus[s]} ${s}`);
  const snapshots = `${head.inputs.length} snapshot${head.inputs.length === 1 ? '' : 's'}`;
  const incomplete =
    summary.incompleteInputs > 0 ? `; ${summary.incompleteInputs} snapshot(s) recorded collection errors (incomplete coverage)` : '';
  const states = (['applied', 'expired', 'unused'] as const)
    .map((state) => [state, waivers.filter((w) => w.state === state).length] as const)
    .filter(([, n]) => n > 0);
  const waived = states.length === 0 ? '' : `; waivers: ${states.map(([state, n]) => `${n} ${state}`).join(', ')}`;
  const counted = head.failOnUnknown ? ' (unknown counted)' : '';
  const verdict = summary.failing > 0 ? `${summary.failing} failing at or above ${head.failOn}${counted}` : 'nothing failing';
  return `trailguard: ${summary.total} finding${summary.total === 1 ? '' : 's'} (${parts.join(', ') || 'none'}) for ${head.rules.length} rule${head.rules.length === 1 ? '' : 's'} on ${snapshots}${incomplete}${waived}; ${verdict}${out === undefined ? '' : ` → ${out}`}`;
}
