import { parseArn } from '../core/arn.js';
import type { Grantee, PolicyQueryEvidence, StatementRef } from '../core/evidence.js';
import { principalDescribedBy } from './candidates.js';
import { absentFor } from './context-catalogue.js';
import { actionMatches, evaluatePolicy } from './evaluate-policy.js';
import { otherAccounts } from './other-accounts.js';
import { callerKind } from './request-context.js';
import { buildRequest, type RequestSpec, withoutKeys } from './request-spec.js';
import type { ConditionClause, ContextValue, IamRequest, Policy, RequestPrincipal, Statement } from './types.js';
import { MAX_WORLDS, optionsFor, unknownKeyFor } from './unknown-values.js';

export type { Grantee, PolicyQueryEvidence } from '../core/evidence.js';

/** A policy query: who the policy lets make a request, whatever the values the request leaves open. */
export interface PolicyQuery {
  readonly action: string;
  /** The request each caller would make (the rule's context, the catalogue's standard context). */
  readonly request: (principal: RequestPrincipal) => RequestSpec;
  /** Context keys the request does not carry (`no one without the encryption context`). */
  readonly without: readonly string[];
  /** A service forwarding an IAM principal's request (`kms:ViaService`), as the request describes it. */
  readonly viaService?: string | undefined;
  readonly partition: string;
}

/** A caller to ask about, and how it is named among the grantees. */
interface Asked {
  readonly principal: RequestPrincipal;
  readonly grantee: Omit<Grantee, 'status' | 'allowedBy'>;
}

/**
 * Who the policy grants the request to: each principal an Allow statement names (an account standing for itself, a
 * role or user, a service) and, for a `*` principal, the caller its conditions describe or any principal of an
 * account the policy does not name. Each is evaluated with the same evaluator as `iam-policy`, over every value of
 * the keys its conditions read that the request leaves open (granted when some request is allowed), and every value
 * of the facts nobody recorded about the caller or the key (`aws:PrincipalOrgID`…): a grant that depends on those is
 * `unknown`.
 */
export function whoCan(policy: Policy, query: PolicyQuery): PolicyQueryEvidence {
  const statements = policy.statements.filter((s) => s.problems.length === 0 && actionMatches(s, query.action));
  const grantees: Grantee[] = [];
  const seen = new Set<string>();
  for (const asked of callers(policy, statements, query)) {
    const id = asked.principal.kind === 'service' ? `service ${asked.principal.name}` : asked.principal.arn;
    if (seen.has(id)) continue;
    seen.add(id);
    const found = grant(policy, statements, query, asked);
    if (found !== undefined) grantees.push(found);
  }
  const problems = policy.statements.flatMap((s) => s.problems.map((p) => `Statement[${s.index}] ${p}`));
  return { action: query.action, grantees, ...(problems.length === 0 ? {} : { policyProblems: problems }) };
}

function callers(policy: Policy, statements: readonly Statement[], query: PolicyQuery): Asked[] {
  const out: Asked[] = [];
  const resourceAccount = parseArn(query.request({ kind: 'service', name: 'kms.amazonaws.com' }).resource)?.account ?? '';
  const anyone = () =>
    otherAccounts(policy, resourceAccount).map(
      (account): Asked => ({
        principal: { kind: 'aws', arn: `arn:${query.partition}:iam::${account}:root`, account },
        grantee: { who: `any principal of account ${account}, which the policy does not name`, kind: 'anyone', account },
      }),
    );
  for (const statement of statements) {
    if (statement.effect !== 'Allow') continue;
    if (statement.principals === undefined) {
      // NotPrincipal in an Allow grants everyone it does not name.
      if (statement.notPrincipals !== undefined) out.push(...anyone());
      continue;
    }
    for (const entry of statement.principals) {
      switch (entry.kind) {
        case 'aws-account':
          out.push({
            principal: { kind: 'aws', arn: `arn:${query.partition}:iam::${entry.account}:root`, account: entry.account },
            grantee: {
              who: `account ${entry.account}`,
              kind: 'account',
              account: entry.account,
              arn: `arn:${query.partition}:iam::${entry.account}:root`,
            },
          });
          break;
        case 'aws-arn':
          out.push({
            principal: { kind: 'aws', arn: entry.arn, account: entry.account },
            grantee: { who: entry.arn, kind: 'principal', account: entry.account, arn: entry.arn },
          });
          break;
        case 'service':
          out.push({
            principal: { kind: 'service', name: entry.name.toLowerCase() },
            grantee: { who: `service ${entry.name.toLowerCase()}`, kind: 'service', service: entry.name.toLowerCase() },
          });
          break;
        case 'any': {
          const described = principalDescribedBy(statement, { defaultAccount: '', partition: query.partition });
          const principal = described.principal;
          if (principal.kind === 'aws' && principal.account !== '') {
            out.push({
              principal,
              grantee: { who: described.description ?? principal.arn, kind: 'principal', account: principal.account, arn: principal.arn },
            });
          } else out.push(...anyone());
          break;
        }
        default:
          // Federated and canonical-user principals never make an IAM or service request.
          break;
      }
    }
  }
  return out;
}

/** A key the request leaves open, with the values worth trying (as for unrecorded keys: one per operand, another, absent). */
interface OpenKey {
  readonly keyLower: string;
  readonly key: string;
  /** A fact about the caller or the key that nobody recorded (universal), rather than a value the caller chooses. */
  readonly fact: boolean;
  readonly options: readonly (ContextValue | undefined)[];
}

function grant(policy: Policy, statements: readonly Statement[], query: PolicyQuery, asked: Asked): Grantee | undefined {
  let request = buildRequest(query.request(asked.principal));
  if (query.without.length > 0) request = withoutKeys(request, query.without);
  const open = openKeys(statements, request, query, asked.principal);
  let count = 1;
  for (const key of open) count *= key.options.length;
  const facts = open.filter((k) => k.fact);
  const free = open.filter((k) => !k.fact);
  if (count > MAX_WORLDS) {
    return {
      ...asked.grantee,
      status: 'unknown',
      allowedBy: [],
      dependsOn: open.map((k) => k.key),
      reason: `its conditions read ${open.length} keys the request leaves open, more combinations of values than trailguard tries (${MAX_WORLDS})`,
    };
  }
  const allowedBy = new Map<number, StatementRef>();
  let grantedIn = 0;
  const factWorlds = combinations(facts);
  for (const factWorld of factWorlds) {
    let granted = false;
    for (const freeWorld of combinations(free)) {
      const decision = evaluatePolicy(policy, withValues(request, [...factWorld, ...freeWorld]));
      if (decision.decision !== 'allowed') continue;
      granted = true;
      for (const ref of decision.allowedBy) allowedBy.set(ref.index, ref);
    }
    if (granted) grantedIn++;
  }
  if (grantedIn === 0) return undefined;
  const refs = [...allowedBy.values()].sort((a, b) => a.index - b.index);
  const openNames = new Set(open.map((k) => k.keyLower));
  const conditions = refs.flatMap((ref) =>
    (policy.statements[ref.index]?.conditions ?? []).filter((c) => openNames.has(c.keyLower)).map(describeClause),
  );
  const unique = [...new Set(conditions)];
  const dependsOn = facts.map((k) => k.key);
  return {
    ...asked.grantee,
    status: grantedIn === factWorlds.length ? 'granted' : 'unknown',
    allowedBy: refs,
    ...(unique.length === 0 ? {} : { conditions: unique }),
    ...(grantedIn === factWorlds.length || dependsOn.length === 0
      ? {}
      : { dependsOn, reason: `granted for some values of ${dependsOn.join(', ')}, which no snapshot records` }),
  };
}

/** The keys the statements' conditions read that the request neither gives nor leaves out for this caller. */
function openKeys(statements: readonly Statement[], request: IamRequest, query: PolicyQuery, principal: RequestPrincipal): OpenKey[] {
  const without = new Set(query.without.map((k) => k.toLowerCase()));
  const caller = callerKind(principal, query.viaService);
  const byKey = new Map<string, { key: string; fact: boolean; clauses: ConditionClause[] }>();
  for (const statement of statements) {
    for (const clause of statement.conditions) {
      const k = clause.keyLower;
      if (request.context.has(k) || without.has(k)) continue;
      const unknown = unknownKeyFor(request, k);
      if (unknown === undefined && absentFor(k, caller)) continue;
      const entry = byKey.get(k) ?? { key: clause.key, fact: unknown !== undefined && isFact(k), clauses: [] };
      entry.clauses.push(clause);
      byKey.set(k, entry);
    }
  }
  return [...byKey.entries()].map(([keyLower, { key, fact, clauses }]) => ({ keyLower, key, fact, options: optionsFor(clauses, true) }));
}

/** Facts about the caller or the key (its organisation, its tags) are what they are: the caller cannot choose them. */
function isFact(keyLower: string): boolean {
  return keyLower.startsWith('aws:principal') || keyLower.startsWith('aws:resource');
}

function combinations(keys: readonly OpenKey[]): (readonly [string, ContextValue | undefined])[][] {
  let out: (readonly [string, ContextValue | undefined])[][] = [[]];
  for (const key of keys) out = out.flatMap((world) => key.options.map((option) => [...world, [key.keyLower, option] as const]));
  return out;
}

function withValues(request: IamRequest, values: readonly (readonly [string, ContextValue | undefined])[]): IamRequest {
  if (values.length === 0) return request;
  // Open keys are not in the request's context: a value sets one, absence leaves it out.
  const context = new Map(request.context);
  for (const [key, value] of values) if (value !== undefined) context.set(key, value);
  return { ...request, context, unknown: [] };
}

/** `StringLike kms:EncryptionContext:aws:cloudtrail:arn arn:aws:cloudtrail:*:333344445555:trail/*` */
function describeClause(clause: ConditionClause): string {
  return `${clause.operator} ${clause.key} ${clause.values.map((v) => JSON.stringify(v)).join(' or ')}`;
}
