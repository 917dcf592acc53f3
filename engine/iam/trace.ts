import { statementLabel } from '../core/evidence.js';
import { evaluateCondition } from './evaluate-condition.js';
import { actionMatches, principalMatches, resourceMatches, statementRef } from './evaluate-policy.js';
import type { ContextValue, IamRequest, Pattern, Policy, PrincipalEntry, RequestPrincipal, Statement, StatementRef } from './types.js';

export interface CheckTrace {
  readonly ok: boolean;
  readonly detail: string;
}

export interface ConditionTrace {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
  /** What the request holds for the key; `null` when the request lacks it. */
  readonly requestValues: readonly string[] | null;
  readonly ok: boolean;
}

/** Why one statement does or does not apply to a request, element by element. */
export interface StatementTrace extends StatementRef {
  readonly effect: 'Allow' | 'Deny';
  readonly applies: boolean;
  readonly problems: readonly string[];
  readonly principal: CheckTrace;
  readonly action: CheckTrace;
  readonly resource: CheckTrace;
  readonly conditions: readonly ConditionTrace[];
}

export function traceStatement(statement: Statement, request: IamRequest): StatementTrace {
  const principal = tracePrincipal(statement, request.principal);
  const action = tracePatterns(statement.actions, statement.notActions, 'Action', request.action, actionMatches(statement, request.action));
  const resource = tracePatterns(
    statement.resources,
    statement.notResources,
    'Resource',
    request.resource,
    resourceMatches(statement, request.resource),
  );
  const conditions = statement.conditions.map((clause) => ({
    operator: clause.operator,
    key: clause.key,
    values: clause.values,
    requestValues: listOf(request.context.get(clause.keyLower)),
    ok: evaluateCondition(clause, request.context),
  }));
  const applies = statement.problems.length === 0 && principal.ok && action.ok && resource.ok && conditions.every((c) => c.ok);
  return {
    ...statementRef(statement),
    effect: statement.effect,
    applies,
    problems: statement.problems,
    principal,
    action,
    resource,
    conditions,
  };
}

/** How each statement of a policy treats a request: principal, action, resource and every condition, each marked. */
export function tracePolicy(policy: Policy, request: IamRequest): readonly StatementTrace[] {
  return policy.statements.map((statement) => traceStatement(statement, request));
}

/**
 * The Allow statement that comes closest to granting the request, and what it lacks: statements are ranked by
 * how many of principal (first), action, resource and conditions they satisfy (problems count against them).
 */
export function closestAllow(policy: Policy, request: IamRequest): { statement: StatementRef; lacks: readonly string[] } | undefined {
  const closest = closestAllowStatement(policy, request);
  if (closest === undefined) return undefined;
  return {
    statement: { index: closest.trace.index, ...(closest.trace.sid === undefined ? {} : { sid: closest.trace.sid }) },
    lacks: lacks(closest.trace),
  };
}

/** The statement {@link closestAllow} names, with its trace. */
export function closestAllowStatement(policy: Policy, request: IamRequest): { statement: Statement; trace: StatementTrace } | undefined {
  let best: { statement: Statement; trace: StatementTrace; score: number } | undefined;
  for (const statement of policy.statements) {
    if (statement.effect !== 'Allow') continue;
    const trace = traceStatement(statement, request);
    const met = trace.conditions.filter((c) => c.ok).length;
    const score =
      (trace.action.ok ? 4 : 0) +
      (trace.principal.ok ? 5 : 0) +
      (trace.resource.ok ? 2 : 0) +
      (trace.conditions.length === 0 ? 1 : met / trace.conditions.length) -
      (trace.problems.length > 0 ? 1 : 0);
    if (best === undefined || score > best.score) best = { statement, trace, score };
  }
  return best;
}

/** Plain-language reasons a traced statement does not apply. */
export function lacks(trace: StatementTrace): string[] {
  const out: string[] = [...trace.problems];
  if (!trace.principal.ok) out.push(trace.principal.detail);
  if (!trace.action.ok) out.push(trace.action.detail);
  if (!trace.resource.ok) out.push(trace.resource.detail);
  for (const c of trace.conditions) if (!c.ok) out.push(describeCondition(c));
  return [...new Set(out)];
}

export function describeCondition(c: ConditionTrace): string {
  const wanted = `${c.operator} ${c.key} ${formatList(c.values)}`;
  if (c.requestValues === null) return `condition ${wanted} is not met: the request has no ${c.key}`;
  return `condition ${wanted} is not met by ${formatList(c.requestValues)}`;
}

export function describePrincipal(principal: RequestPrincipal): string {
  return principal.kind === 'service' ? `service ${principal.name}` : principal.arn;
}

function tracePrincipal(statement: Statement, principal: RequestPrincipal): CheckTrace {
  const ok = principalMatches(statement, principal);
  const who = describePrincipal(principal);
  if (statement.principals !== undefined) {
    const named = formatPrincipals(statement.principals);
    return { ok, detail: ok ? `Principal ${named} matches ${who}` : `Principal names ${named}, not ${who}` };
  }
  if (statement.notPrincipals !== undefined) {
    const named = formatPrincipals(statement.notPrincipals);
    return { ok, detail: ok ? `NotPrincipal ${named} does not exclude ${who}` : `NotPrincipal ${named} excludes ${who}` };
  }
  return { ok: false, detail: 'the statement has no Principal element' };
}

function tracePatterns(
  patterns: readonly Pattern[] | undefined,
  notPatterns: readonly Pattern[] | undefined,
  element: 'Action' | 'Resource',
  value: string,
  ok: boolean,
): CheckTrace {
  if (patterns !== undefined) {
    const listed = formatList(patterns.map((p) => p.text));
    return { ok, detail: ok ? `${element} ${listed} covers ${value}` : `${element} ${listed} does not cover ${value}` };
  }
  if (notPatterns !== undefined) {
    const listed = formatList(notPatterns.map((p) => p.text));
    return { ok, detail: ok ? `Not${element} ${listed} does not exclude ${value}` : `Not${element} ${listed} excludes ${value}` };
  }
  return { ok: false, detail: `the statement has no ${element} element` };
}

function formatPrincipals(entries: readonly PrincipalEntry[]): string {
  return formatList(entries.map((e) => (e.kind === 'service' ? `service ${e.text}` : e.text)));
}

function formatList(values: readonly string[]): string {
  return values.length === 1 ? (values[0] ?? '') : `[${values.join(', ')}]`;
}

function listOf(value: ContextValue | undefined): readonly string[] | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? [value] : value;
}

/** {@link statementLabel}, kept per reference: the same statements are named on every trail of a key. */
export function label(ref: StatementRef): string {
  let text = labelCache.get(ref);
  if (text === undefined) {
    text = statementLabel(ref);
    labelCache.set(ref, text);
  }
  return text;
}

// Statement references are made once per statement (statementRef), so their labels can be too.
const labelCache = new WeakMap<StatementRef, string>();

export function labels(refs: readonly StatementRef[]): string {
  // A policy of thousands of identical statements must not make a message of thousands of names.
  const named = refs.slice(0, NAMED).map(label).join(', ');
  return refs.length > NAMED ? `${named} and ${refs.length - NAMED} more` : named;
}

/** How many statements a message names before it counts the rest. */
const NAMED = 3;
