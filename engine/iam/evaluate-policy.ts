import { evaluateCondition } from './evaluate-condition.js';
import type {
  ContextValue,
  Effect,
  IamRequest,
  Pattern,
  Policy,
  PolicyDecision,
  PrincipalEntry,
  RequestPrincipal,
  Statement,
  StatementRef,
} from './types.js';

/**
 * Decides a request against one policy: `denied` when any applicable Deny exists (explicit Deny always wins),
 * `allowed` when an applicable Allow exists, `not-allowed` otherwise. Names every statement responsible.
 */
export function evaluatePolicy(policy: Policy, request: IamRequest): PolicyDecision {
  const allowedBy: StatementRef[] = [];
  const deniedBy: StatementRef[] = [];
  for (const statement of statementsForAction(policy, request.action)) {
    if (!appliesToAction(statement, request)) continue;
    (statement.effect === 'Deny' ? deniedBy : allowedBy).push(statementRef(statement));
  }
  const decision = deniedBy.length > 0 ? 'denied' : allowedBy.length > 0 ? 'allowed' : 'not-allowed';
  return { decision, allowedBy, deniedBy };
}

/** Whether every element of the statement (principal, action, resource, conditions) matches the request. */
export function statementApplies(statement: Statement, request: IamRequest): boolean {
  return actionMatches(statement, request.action) && appliesToAction(statement, request);
}

/** The rest of `statementApplies`, for a statement already known to cover the request's action. */
function appliesToAction(statement: Statement, request: IamRequest): boolean {
  if (statement.problems.length > 0 || !principalMatches(statement, request.principal) || !resourceMatches(statement, request.resource))
    return false;
  for (const clause of statement.conditions) if (!evaluateCondition(clause, request.context)) return false;
  return true;
}

/** The statement's index and Sid, as evidence names it; one object per statement, shared by every finding. */
export function statementRef(statement: Statement): StatementRef {
  let ref = refs.get(statement);
  if (ref === undefined) {
    ref = statement.sid === undefined ? { index: statement.index } : { index: statement.index, sid: statement.sid };
    refs.set(statement, ref);
  }
  return ref;
}

const refs = new WeakMap<Statement, StatementRef>();

export function actionMatches(statement: Statement, action: string): boolean {
  if (statement.actions !== undefined) return anyPattern(statement.actions, action);
  if (statement.notActions !== undefined) return !anyPattern(statement.notActions, action);
  return false;
}

export function resourceMatches(statement: Statement, resource: string): boolean {
  if (statement.resources !== undefined) return anyPattern(statement.resources, resource);
  if (statement.notResources !== undefined) return !anyPattern(statement.notResources, resource);
  return false;
}

/**
 * Principal matching. `*` (or `{"AWS": "*"}`) matches every caller, services included. An account principal in an
 * Allow stands for the account itself (delegation to its IAM policies); in a Deny it covers every principal of it.
 */
export function principalMatches(statement: Statement, principal: RequestPrincipal): boolean {
  if (statement.principals !== undefined) {
    return statement.principals.some((entry) => entryMatches(entry, principal, statement.effect));
  }
  if (statement.notPrincipals !== undefined) {
    return !statement.notPrincipals.some((entry) => entryMatches(entry, principal, 'Allow'));
  }
  return false;
}

export function entryMatches(entry: PrincipalEntry, principal: RequestPrincipal, effect: Effect): boolean {
  switch (entry.kind) {
    case 'any':
      return true;
    case 'service':
      return principal.kind === 'service' && principal.name === entry.name;
    case 'aws-account':
      if (principal.kind !== 'aws') return false;
      return effect === 'Deny' ? principal.account === entry.account : isAccountRoot(principal, entry.account);
    case 'aws-arn':
      return principal.kind === 'aws' && principal.arn === entry.arn;
    case 'federated':
    case 'canonical-user':
      return false;
  }
}

function isAccountRoot(principal: { arn: string; account: string }, account: string): boolean {
  return principal.account === account && principal.arn.endsWith(`:iam::${account}:root`);
}

function anyPattern(patterns: readonly Pattern[], value: string): boolean {
  for (const pattern of patterns) if (pattern.test(value)) return true;
  return false;
}

// Key policies hold a handful of statements, but the same policy is asked the same few actions for thousands of
// trails: remember, per policy and action, which statements can apply at all.
const actionIndex = new WeakMap<Policy, Map<string, readonly Statement[]>>();
function statementsForAction(policy: Policy, action: string): readonly Statement[] {
  let byAction = actionIndex.get(policy);
  if (byAction === undefined) {
    byAction = new Map();
    actionIndex.set(policy, byAction);
  }
  const key = action.toLowerCase();
  let statements = byAction.get(key);
  if (statements === undefined) {
    statements = policy.statements.filter((s) => actionMatches(s, action));
    byAction.set(key, statements);
  }
  return statements;
}

/** Builds a request, lower-casing context key names (IAM compares them case-insensitively). */
export function makeRequest(
  principal: RequestPrincipal,
  action: string,
  resource: string,
  context: Readonly<Record<string, ContextValue>> | ReadonlyMap<string, ContextValue>,
): IamRequest {
  const entries = context instanceof Map ? [...context.entries()] : Object.entries(context);
  return { principal, action, resource, context: new Map(entries.map(([k, v]) => [k.toLowerCase(), v])) };
}
