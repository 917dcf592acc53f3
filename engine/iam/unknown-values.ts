import { actionMatches } from './evaluate-policy.js';
import type { ConditionClause, ContextValue, IamRequest, Policy, UnknownKey } from './types.js';

/** A context key the policy's conditions read that some request leaves unknown, and the values to try for it. */
export interface Dimension {
  /** The key as the policy writes it. */
  readonly key: string;
  readonly keyLower: string;
  readonly unknown: UnknownKey;
  /** Representative values: one that satisfies each condition value, one that satisfies none, and absence. */
  readonly options: readonly (ContextValue | undefined)[];
}

/** One assignment of a value (or absence, `undefined`) to each unknown key. */
export type World = ReadonlyMap<string, ContextValue | undefined>;

/** Past this many combinations a verdict is not searched for: it is unknown. */
export const MAX_WORLDS = 256;

/** A value that no condition value names: the case of "some other value". */
export const OTHER_VALUE = 'trailguard-unrecorded-value';
const OTHER_IP = '198.51.100.77';

/** The unknown key that covers a (lower-cased) context key in this request, if any. */
export function unknownKeyFor(request: IamRequest, keyLower: string): UnknownKey | undefined {
  if (request.context.has(keyLower)) return undefined;
  return request.unknown?.find((u) => (u.prefix ? keyLower.startsWith(u.keyLower) : keyLower === u.keyLower));
}

/**
 * The keys the conditions (and policy variables) of statements for the requests' actions read that one of the requests leaves unknown, each with
 * the values worth trying: a condition can only tell apart values its own operands name, so one value satisfying
 * each operand, one satisfying none, and absence (where AWS may leave the key out) cover every outcome.
 */
export function dimensions(policy: Policy, requests: readonly IamRequest[]): Dimension[] {
  const byKey = new Map<string, { key: string; unknown: UnknownKey; clauses: ConditionClause[] }>();
  const actions = [...new Set(requests.map((r) => r.action))];
  for (const statement of policy.statements) {
    // A statement for other actions never applies, whatever its conditions read.
    if (!actions.some((action) => actionMatches(statement, action))) continue;
    for (const clause of statement.conditions) {
      for (const keyLower of [clause.keyLower, ...variableKeys(clause)]) {
        const unknown = requests.map((r) => unknownKeyFor(r, keyLower)).find((u) => u !== undefined);
        if (unknown === undefined) continue;
        const entry = byKey.get(keyLower) ?? { key: keyLower === clause.keyLower ? clause.key : keyLower, unknown, clauses: [] };
        if (keyLower === clause.keyLower) entry.clauses.push(clause);
        byKey.set(keyLower, entry);
      }
    }
  }
  return [...byKey.entries()].map(([keyLower, { key, unknown, clauses }]) => ({
    key,
    keyLower,
    unknown,
    options: optionsFor(clauses, unknown.mayBeAbsent),
  }));
}

/**
 * Every combination of the dimensions' options, or `undefined` when there are more than `MAX_WORLDS`. The last
 * world gives every key its most neutral option (absent where it may be, else a value no condition names).
 */
export function worlds(dimensions: readonly Dimension[]): World[] | undefined {
  let count = 1;
  for (const d of dimensions) count *= d.options.length;
  if (count > MAX_WORLDS) return undefined;
  let out: Map<string, ContextValue | undefined>[] = [new Map()];
  for (const d of dimensions) {
    out = out.flatMap((world) => d.options.map((option) => new Map(world).set(d.keyLower, option)));
  }
  return out;
}

/** The request as it would be in a world: each key it leaves unknown takes the world's value (or stays out). */
export function inWorld(request: IamRequest, world: World): IamRequest {
  if (world.size === 0 || request.unknown === undefined || request.unknown.length === 0) return request;
  let context: Map<string, ContextValue> | undefined;
  for (const [keyLower, value] of world) {
    if (unknownKeyFor(request, keyLower) === undefined) continue;
    context ??= new Map(request.context);
    if (value !== undefined) context.set(keyLower, value);
  }
  return context === undefined ? request : { ...request, context, unknown: [] };
}

/** Describes a value of a world in words: `"o-a1b2c3d4e5"`, `another value`, `absent`. */
export function describeOption(value: ContextValue | undefined): string {
  if (value === undefined) return 'absent';
  const list = typeof value === 'string' ? [value] : value;
  if (list.length === 1 && (list[0] === OTHER_VALUE || list[0] === OTHER_IP)) return 'another value';
  return list.map((v) => JSON.stringify(v)).join(', ');
}

function variableKeys(clause: ConditionClause): string[] {
  if (!clause.hasVariables) return [];
  const out: string[] = [];
  for (const value of clause.values) for (const m of value.matchAll(/\$\{([^}*?$]+)\}/g)) out.push((m[1] as string).toLowerCase());
  return out;
}

export function optionsFor(clauses: readonly ConditionClause[], mayBeAbsent: boolean): (ContextValue | undefined)[] {
  const values = new Set<string>();
  let other = OTHER_VALUE;
  for (const clause of clauses) {
    for (const value of clause.values) for (const v of representatives(clause.base, value)) values.add(v);
    if (clause.base === 'IpAddress' || clause.base === 'NotIpAddress') other = OTHER_IP;
  }
  // A Bool or Null condition tells only true, false and absence apart: no third value exists. A Null condition has
  // no operand to take a value from, so when only Null conditions read the key, some value stands for "present".
  // (A key read only through a policy variable has no clause of its own: it is tried as some value, and absent.)
  if (values.size === 0 || !clauses.every((c) => c.base === 'Bool' || c.base === 'Null')) values.add(other);
  const options: (ContextValue | undefined)[] = [...values].map((v) => (isListKey(clauses) ? [v] : v));
  if (mayBeAbsent) options.push(undefined);
  return options;
}

function isListKey(clauses: readonly ConditionClause[]): boolean {
  return clauses.some((c) => c.set !== 'none');
}

/** Values that satisfy (and just miss) one operand of a condition. */
function representatives(base: string | undefined, value: string): string[] {
  switch (base) {
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
    case 'ArnEquals':
    case 'ArnNotEquals':
      // Wildcards match anything (take the shortest fill); escaped ones (`${*}`) are the literal character.
      return [value.replace(/\$\{([*?$])\}|\*|\?/g, (m, escaped?: string) => escaped ?? (m === '*' ? '' : 'x'))];
    case 'NumericEquals':
    case 'NumericNotEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals': {
      const n = Number(value);
      return Number.isFinite(n) ? [String(n - 1), String(n), String(n + 1)] : [];
    }
    case 'DateEquals':
    case 'DateNotEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals': {
      const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
      return Number.isNaN(ms) ? [] : [ms - 1000, ms, ms + 1000].map((t) => new Date(t).toISOString());
    }
    case 'Bool':
      return ['true', 'false'];
    case 'IpAddress':
    case 'NotIpAddress':
      return [value.split('/')[0] ?? value];
    case 'Null':
      return [];
    default:
      return [value];
  }
}
