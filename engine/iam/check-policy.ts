import { type Candidate, candidatesFor, type PrincipalSource } from './candidates.js';
import { evaluatePolicy, statementApplies, statementRef } from './evaluate-policy.js';
import { otherAccounts } from './other-accounts.js';
import { buildRequest, describeProbe, forAccount, type Probe, type RequestSpec, withoutKeys } from './request-spec.js';
import { closestAllow, describePrincipal, label, labels, lacks, type StatementTrace, traceStatement } from './trace.js';
import type { ContextValue, Decision, IamRequest, Policy, RequestPrincipal, Statement, StatementRef } from './types.js';

export type { PrincipalSource } from './candidates.js';

export type Expectation = 'allowed' | 'not-allowed' | 'denied';

export interface PolicyCheck {
  readonly expect: Expectation;
  /** The action asked for (also in each request), to name it when no candidate caller exists. */
  readonly action: string;
  readonly principal: PrincipalSource;
  /** The request for a given caller (context keys such as `aws:PrincipalArn` depend on it). */
  readonly request: (principal: RequestPrincipal) => RequestSpec;
  /** Variations the granting statement(s) must not allow; only with `expect: allowed`. */
  readonly probes: readonly Probe[];
  /** `policy`: no statement may allow a probe; `granting-statement`: the statement that grants must not. */
  readonly scope: 'policy' | 'granting-statement';
  /** Called with every request evaluated (the request itself and each probe), for `trailguard explain`. */
  readonly trace?: ((entry: RequestTrace) => void) | undefined;
}

/** One request a check evaluated, with each statement's verdict on it element by element. */
export interface RequestTrace {
  /** `request`, or the probe's name (and the account it stood in for). */
  readonly label: string;
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  /** The request context, condition keys lower-cased as IAM compares them. */
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly decision: Decision;
  readonly statements: readonly StatementTrace[];
}

/** What one probe found: `allowedBy` names the statements that allow it (only when one does). */
export interface ProbeOutcome {
  readonly name: string;
  /** The account the probe stood in for, for another-account probes. */
  readonly account?: string;
  readonly allowed: boolean;
  readonly allowedBy?: readonly StatementRef[];
}

interface ProbeRun {
  readonly outcome: ProbeOutcome;
  readonly probe: Probe;
  readonly variant: string | undefined;
}

/** The evidence of a policy check; the request itself (caller and action) is named in the reason. */
export interface PolicyEvidence {
  readonly decision: Decision;
  readonly allowedBy?: readonly StatementRef[];
  readonly deniedBy?: readonly StatementRef[];
  readonly probes?: readonly ProbeOutcome[];
  readonly closest?: { readonly statement: StatementRef; readonly lacks: readonly string[] };
  readonly policyProblems?: readonly string[];
  /** On a failed check, the request that was evaluated, so a reader can see exactly what was asked. */
  readonly request?: EvaluatedRequest;
}

/** A request spec with its caller described in words. */
export type EvaluatedRequest = Omit<RequestSpec, 'principal'> & { readonly caller: string };

export interface PolicyCheckResult {
  readonly status: 'pass' | 'fail';
  readonly reason: string;
  readonly evidence: PolicyEvidence;
}

interface Attempt extends PolicyCheckResult {
  /** Ranks failed attempts: a grant that leaks beats a denied grant beats no grant at all. */
  readonly rank: number;
}

/** Runs a policy check: the decision for the request, who decided it, and whether the grant is confined. */
export function checkPolicy(policy: Policy, check: PolicyCheck): PolicyCheckResult {
  const candidates = candidatesFor(policy, check.principal);
  if (candidates.length === 0) {
    return result(
      fail(0, `no Allow statement names an IAM principal (an account, user or role) that could call ${check.action}`, {
        decision: 'not-allowed',
        ...problems(policy),
      }),
    );
  }
  let best: Attempt | undefined;
  for (const candidate of candidates) {
    const attempt = attemptCandidate(policy, check, candidate);
    if (attempt.status === 'pass') return result(attempt);
    if (best === undefined || attempt.rank > best.rank) best = attempt;
  }
  return result(best as Attempt);
}

function attemptCandidate(policy: Policy, check: PolicyCheck, candidate: Candidate): Attempt {
  const spec = check.request(candidate.principal);
  const request = buildRequest(spec);
  const decision = evaluatePolicy(policy, request);
  const who = candidate.description ?? describePrincipal(candidate.principal);
  check.trace?.(traceRequest(policy, 'request', who, request, decision.decision));
  const base: PolicyEvidence = {
    decision: decision.decision,
    ...(decision.allowedBy.length === 0 ? {} : { allowedBy: decision.allowedBy }),
    ...(decision.deniedBy.length === 0 ? {} : { deniedBy: decision.deniedBy }),
  };
  const failed: PolicyEvidence = {
    ...base,
    request: {
      caller: who,
      action: spec.action,
      resource: spec.resource,
      context: spec.context,
      encryptionContext: spec.encryptionContext,
    },
  };
  const granting = grantingStatements(policy, check, candidate, request, decision.allowedBy);
  if (check.expect === 'not-allowed') {
    return decision.decision === 'allowed'
      ? fail(1, `allows ${spec.action} for ${who} by ${labels(decision.allowedBy)}`, failed)
      : pass(`does not allow ${spec.action} for ${who}`, base);
  }
  if (check.expect === 'denied') {
    return decision.decision === 'denied'
      ? pass(`denies ${spec.action} for ${who} by ${labels(decision.deniedBy)}`, base)
      : fail(1, `does not deny ${spec.action} for ${who}`, failed);
  }
  if (granting.length === 0) {
    const closest = candidate.statement === undefined ? closestAllow(policy, request) : ownStatement(candidate.statement, request);
    const why =
      closest === undefined ? ': it has no Allow statement' : `: the closest, ${label(closest.statement)}, ${closest.lacks.join('; ')}`;
    return fail(0, `does not allow ${spec.action} for ${who}${why}`, {
      ...failed,
      ...(closest === undefined ? {} : { closest }),
      ...problems(policy),
    });
  }
  if (decision.deniedBy.length > 0) {
    return fail(
      1,
      `denies ${spec.action} for ${who} by ${labels(decision.deniedBy)}, although ${labels(granting.map(statementRef))} allows it`,
      failed,
    );
  }
  const runs = check.probes.flatMap((probe) => runProbe(policy, check, request, granting, probe));
  const probes = runs.map((run) => run.outcome);
  const leak = runs.find((run) => run.outcome.allowed);
  if (leak === undefined) {
    const confined = runs.length === 0 ? '' : `, and not ${unique(check.probes.map((p) => describeProbe(p))).join(' or ')}`;
    return pass(
      `allows ${spec.action} for ${who} by ${labels(granting.map(statementRef))}${confined}`,
      runs.length === 0 ? base : { ...base, probes },
    );
  }
  const leakedBy = leak.outcome.allowedBy ?? [];
  const grantedBy = labels(granting.map(statementRef));
  const leakers = labels(leakedBy);
  const same = leakers === grantedBy;
  const open = labels(
    policy.statements.filter((s) => leakedBy.some((r) => r.index === s.index) && s.conditions.length === 0).map(statementRef),
  );
  const also = same ? 'and also' : `but ${leakers} also allows it`;
  const why =
    open === ''
      ? ''
      : `; ${open === leakers ? (leakedBy.length === 1 ? 'it has' : 'they have') : `${open} has`} no Condition, so nothing confines the grant`;
  return fail(2, `allows ${spec.action} for ${who} by ${grantedBy}, ${also} ${describeProbe(leak.probe, leak.variant)}${why}`, {
    ...failed,
    probes,
  });
}

/** Statements that grant the request: with a statement scope only the candidate's own statement counts. */
function grantingStatements(
  policy: Policy,
  check: PolicyCheck,
  candidate: Candidate,
  request: IamRequest,
  allowedBy: readonly StatementRef[],
): readonly Statement[] {
  if (check.scope === 'granting-statement' && candidate.statement !== undefined) {
    return statementApplies(candidate.statement, request) ? [candidate.statement] : [];
  }
  return allowedBy.map((ref) => policy.statements[ref.index] as Statement);
}

function runProbe(policy: Policy, check: PolicyCheck, base: IamRequest, granting: readonly Statement[], probe: Probe): ProbeRun[] {
  const variants: { request: IamRequest; variant?: string }[] =
    'without' in probe
      ? [{ request: withoutKeys(base, probe.without) }]
      : otherAccounts(policy, probe.otherAccount).map((other) => ({
          request: forAccount(base, probe.otherAccount, other),
          variant: other,
        }));
  return variants.map(({ request, variant }) => {
    const decision = evaluatePolicy(policy, request);
    check.trace?.(
      traceRequest(
        policy,
        `probe ${probe.name}${variant === undefined ? '' : ` (account ${variant})`}`,
        describePrincipal(request.principal),
        request,
        decision.decision,
      ),
    );
    const allowedBy =
      check.scope === 'granting-statement' ? granting.filter((s) => statementApplies(s, request)).map(statementRef) : decision.allowedBy;
    const allowed = allowedBy.length > 0 && decision.deniedBy.length === 0;
    const outcome: ProbeOutcome = {
      name: probe.name,
      ...(variant === undefined ? {} : { account: variant }),
      allowed,
      ...(allowed ? { allowedBy } : {}),
    };
    return { outcome, probe, variant };
  });
}

function traceRequest(policy: Policy, label: string, caller: string, request: IamRequest, decision: Decision): RequestTrace {
  return {
    label,
    caller,
    action: request.action,
    resource: request.resource,
    context: Object.fromEntries(request.context),
    decision,
    statements: policy.statements.map((statement) => traceStatement(statement, request)),
  };
}

function ownStatement(statement: Statement, request: IamRequest): { statement: StatementRef; lacks: readonly string[] } {
  return { statement: statementRef(statement), lacks: lacks(traceStatement(statement, request)) };
}

function result({ status, reason, evidence }: Attempt): PolicyCheckResult {
  return { status, reason, evidence };
}

function pass(reason: string, evidence: PolicyEvidence): Attempt {
  return { status: 'pass', reason, evidence, rank: 3 };
}

function fail(rank: number, reason: string, evidence: PolicyEvidence): Attempt {
  return { status: 'fail', reason, evidence, rank };
}

function problems(policy: Policy): { policyProblems?: readonly string[] } {
  const all = [...policy.problems, ...policy.statements.flatMap((s) => s.problems.map((p) => `${label(statementRef(s))}: ${p}`))];
  return all.length === 0 ? {} : { policyProblems: all };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
