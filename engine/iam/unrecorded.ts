import type { UnrecordedKey } from '../core/evidence.js';
import type { PolicyCheckResult } from './check-policy.js';
import { type Dimension, describeOption, MAX_WORLDS, type World } from './unknown-values.js';

export type { UnrecordedKey } from '../core/evidence.js';

/** A key whose value is real but unrecorded: the verdict under each value tried, and what would decide it. */
/** The verdict when the unrecorded keys a policy reads have more combinations than are tried: unknown, naming them. */
export function tooManyWorlds(unknown: readonly Dimension[]): PolicyCheckResult {
  return {
    status: 'unknown',
    reason: `cannot be decided from the snapshot: the policy's conditions read ${unknown.length} keys no snapshot records (${unknown
      .map((d) => d.key)
      .join(', ')}), more combinations than the ${MAX_WORLDS} trailguard tries`,
    evidence: { decision: 'not-allowed', unrecorded: unknown.map((d) => unrecordedKey(d, [], false)) },
  };
}

export interface Outcome {
  readonly world: World;
  readonly result: PolicyCheckResult;
}

/** One verdict from the verdicts of every world: the common one, or `unknown` naming the keys that decide. */
export function combineWorlds(unknown: readonly Dimension[], outcomes: readonly Outcome[]): PolicyCheckResult {
  // Where the verdict is the same everywhere, the neutral world's reason says it without leaning on a guessed value.
  const first = (outcomes[outcomes.length - 1] as Outcome).result;
  const same = outcomes.every((o) => o.result.status === first.status);
  const decisive = unknown.filter((d) => same === false && isDecisive(d, outcomes));
  const unrecorded = unknown.map((d) => unrecordedKey(d, outcomes, decisive.includes(d)));
  if (same) {
    const keys = unknown.map((d) => d.key).join(', ');
    return {
      status: first.status,
      reason: `${first.reason} (whatever the unrecorded ${keys} ${unknown.length === 1 ? 'is' : 'are'})`,
      evidence: { ...first.evidence, unrecorded },
    };
  }
  const passing = outcomes.filter((o) => o.result.status === 'pass');
  const failing = outcomes.find((o) => o.result.status !== 'pass') as Outcome;
  const when = (o: Outcome) => decisive.map((d) => `${d.key} is ${describeOption(o.world.get(d.keyLower))}`).join(' and ');
  const passWhen = unique(passing.map(when));
  const failWhen = unique(outcomes.filter((o) => o.result.status !== 'pass').map(when));
  const shorter = passWhen.length <= failWhen.length;
  const cases = shorter
    ? `pass if ${passWhen.slice(0, 3).join(', or if ')}; fail otherwise (${failing.result.reason})`
    : `fail if ${failWhen.slice(0, 3).join(', or if ')} (${failing.result.reason}); pass otherwise`;
  const hints = decisive.map((d) => `${d.key}: ${d.unknown.hint}`).join('; ');
  return {
    status: 'unknown',
    reason: `cannot be decided from the snapshot, which does not record ${decisive.map((d) => d.key).join(' or ')}: ${cases}. To decide it, ${hints}`,
    evidence: { ...failing.result.evidence, unrecorded },
  };
}

/** Whether changing this key's value alone changes the verdict in some world. */
function isDecisive(dimension: Dimension, outcomes: readonly Outcome[]): boolean {
  const groups = new Map<string, Set<string>>();
  for (const { world, result } of outcomes) {
    const rest = [...world]
      .filter(([k]) => k !== dimension.keyLower)
      .map(([k, v]) => `${k}=${describeOption(v)}`)
      .join('|');
    const statuses = groups.get(rest) ?? new Set<string>();
    statuses.add(result.status);
    groups.set(rest, statuses);
  }
  return [...groups.values()].some((statuses) => statuses.size > 1);
}

function unrecordedKey(dimension: Dimension, outcomes: readonly Outcome[], decisive: boolean): UnrecordedKey {
  const byValue: Record<string, 'pass' | 'fail' | 'pass or fail'> = {};
  for (const { world, result } of outcomes) {
    const value = describeOption(world.get(dimension.keyLower));
    const status = result.status === 'pass' ? 'pass' : 'fail';
    const seen = byValue[value];
    byValue[value] = seen === undefined || seen === status ? status : 'pass or fail';
  }
  return { key: dimension.key, decidedBy: dimension.unknown.hint, decisive, outcomes: byValue };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
