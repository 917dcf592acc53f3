import { unresolvedName } from '../core/unresolved.js';
import { actionMatches } from './evaluate-policy.js';
import { parsePolicy } from './parse-policy.js';

/**
 * A policy some of whose values an imported template does not settle (`<unresolved: NAME>` markers), as the two
 * policies that bound every way they could be settled. Whether a statement applies to a request can only grow as
 * its values widen, and a policy allows more as its Allow statements apply more and its Deny statements less; so
 *
 * - `permissive`: every Allow statement with an unresolved value applies as widely as any value could make it (the
 *   value stands for `*`, a condition on it holds), every such Deny applies to nothing;
 * - `restrictive`: the other way round.
 *
 * A request allowed by `restrictive` is allowed whatever the values are; one not allowed by `permissive` is allowed
 * by none of them.
 */
export interface UnresolvedBounds {
  /** The unresolved values the policy holds, by name, in the order they appear. */
  readonly names: readonly string[];
  readonly permissive: unknown;
  readonly restrictive: unknown;
  /** The names each statement holds, beside the statement with them widened whatever its effect. */
  readonly statements: readonly { readonly names: readonly string[]; readonly widest: unknown }[];
}

const bounds = new WeakMap<object, UnresolvedBounds | null>();

/** Stands in for an action no request asks for: a statement with it applies to nothing. */
const NO_ACTION = 'trailguard:UnresolvedStatement';

/** The bounds of a policy holding unresolved markers, or undefined when it holds none (the usual case). */
export function unresolvedBounds(policy: unknown): UnresolvedBounds | undefined {
  if (policy === null || typeof policy !== 'object') return undefined;
  const known = bounds.get(policy);
  if (known !== undefined) return known ?? undefined;
  const names = markersIn(policy);
  const result =
    names.length === 0
      ? null
      : { names, permissive: bound(policy, 'permissive'), restrictive: bound(policy, 'restrictive'), statements: statementNames(policy) };
  bounds.set(policy, result);
  return result ?? undefined;
}

function statementNames(policy: object): UnresolvedBounds['statements'] {
  const statements = (policy as { Statement?: unknown }).Statement;
  return (Array.isArray(statements) ? statements : [statements]).map((statement) => {
    const names = markersIn(statement);
    if (names.length === 0) return { names, widest: statement };
    const effect = (statement as { Effect?: unknown } | null)?.Effect;
    return { names, widest: boundStatement(statement, effect === 'Deny' ? 'restrictive' : 'permissive') };
  });
}

/**
 * The unresolved values that can bear on a request for these actions: those of statements that, widened, cover one
 * of them. A value in a statement for other actions (an administrator role from another stack) is left out.
 */
export function relevantNames(bounds: UnresolvedBounds, actions: readonly string[]): string[] {
  const out: string[] = [];
  for (const { names, widest } of bounds.statements) {
    if (names.length === 0) continue;
    const [statement] = parsePolicy({ Version: '2012-10-17', Statement: [widest] }).statements;
    if (statement !== undefined && !actions.some((action) => actionMatches(statement, action))) continue;
    for (const name of names) if (!out.includes(name)) out.push(name);
  }
  return out;
}

function markersIn(value: unknown, out: string[] = []): string[] {
  const name = unresolvedName(value);
  if (name !== undefined) {
    if (!out.includes(name)) out.push(name);
  } else if (Array.isArray(value)) for (const item of value) markersIn(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) markersIn(item, out);
  return out;
}

function bound(policy: object, which: 'permissive' | 'restrictive'): unknown {
  const document = policy as Record<string, unknown>;
  const statements = document.Statement;
  const each = (statement: unknown) => (markersIn(statement).length === 0 ? statement : boundStatement(statement, which));
  return { ...document, Statement: Array.isArray(statements) ? statements.map(each) : each(statements) };
}

function boundStatement(statement: unknown, which: 'permissive' | 'restrictive'): unknown {
  const effect = (statement as { Effect?: unknown } | null)?.Effect;
  if (statement === null || typeof statement !== 'object' || Array.isArray(statement) || (effect !== 'Allow' && effect !== 'Deny')) {
    // A statement unresolved as a whole may allow or deny anything.
    return { Effect: which === 'permissive' ? 'Allow' : 'Deny', Principal: '*', Action: '*', Resource: '*' };
  }
  const widen = (effect === 'Allow') === (which === 'permissive');
  const source = statement as Record<string, unknown>;
  if (!widen) {
    // The statement applies to nothing; its other elements stay, so its evidence still reads as written.
    const { NotAction: _dropped, ...rest } = source;
    return { ...rest, Action: NO_ACTION };
  }
  const out: Record<string, unknown> = { ...source };
  for (const element of ['Principal', 'Action', 'Resource'] as const) {
    if (markersIn(source[element]).length > 0) out[element] = '*';
  }
  for (const [element, never] of [
    ['NotPrincipal', { AWS: 'arn:aws:iam::000000000000:root' }],
    ['NotAction', NO_ACTION],
    ['NotResource', 'arn:aws:trailguard:::unresolved'],
  ] as const) {
    if (markersIn(source[element]).length > 0) out[element] = withoutMarkers(source[element]) ?? never;
  }
  if (markersIn(source.Condition).length > 0) {
    // A condition on an unresolved value holds for some value: the widest statement drops it.
    const condition: Record<string, unknown> = {};
    for (const [operator, block] of Object.entries((source.Condition ?? {}) as Record<string, unknown>)) {
      if (block === null || typeof block !== 'object') continue;
      const kept = Object.fromEntries(Object.entries(block).filter(([, values]) => markersIn(values).length === 0));
      if (Object.keys(kept).length > 0) condition[operator] = kept;
    }
    if (Object.keys(condition).length > 0) out.Condition = condition;
    else delete out.Condition;
  }
  return out;
}

/** A Not- element without its unresolved entries (an exception that may not exist), or undefined when none is left. */
function withoutMarkers(element: unknown): unknown {
  if (unresolvedName(element) !== undefined) return undefined;
  if (Array.isArray(element)) {
    const kept = element.filter((e) => unresolvedName(e) === undefined);
    return kept.length === 0 ? undefined : kept;
  }
  if (element !== null && typeof element === 'object') {
    const kept = Object.fromEntries(
      Object.entries(element).flatMap(([type, values]) => {
        const rest = withoutMarkers(values);
        return rest === undefined ? [] : [[type, rest]];
      }),
    );
    return Object.keys(kept).length === 0 ? undefined : kept;
  }
  return element;
}
