import {
  type ContextValue,
  type Decision,
  type EvaluatedRequest,
  LISTED,
  type PolicyEvidence,
  type ProbeOutcome,
  type StatementRef,
} from '../core/evidence.js';
import { type Candidate, candidatesFor, isDelegation, type PrincipalSource } from './candidates.js';
import { evaluateCondition } from './evaluate-condition.js';
import { evaluatePolicy, statementApplies, statementRef } from './evaluate-policy.js';
import { otherAccounts } from './other-accounts.js';
import { buildRequest, describeProbe, describeRequirement, forAccount, type Probe, type RequestSpec, withoutKeys } from './request-spec.js';
import { closestAllowStatement, describePrincipal, label, labels, lacks, type StatementTrace, traceStatement } from './trace.js';
import type { IamRequest, Policy, RequestPrincipal, Statement, UnknownKey } from './types.js';

export type { EvaluatedRequest, PolicyEvidence, ProbeOutcome } from '../core/evidence.js';

import { type Dimension, describeOption, dimensions, inWorld, type World, worlds } from './unknown-values.js';
import { combineWorlds, tooManyWorlds } from './unrecorded.js';

export type { PrincipalSource } from './candidates.js';
export type { UnrecordedKey } from './unrecorded.js';

export type Expectation = 'allowed' | 'not-allowed' | 'denied';

/** A policy check: the request to evaluate for each caller, what its decision must be, and the probes a confined grant must refuse. */
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
  /** Where each context value came from (lower-cased key), when the request was built from the catalogue. */
  readonly origins?: Readonly<Record<string, string>>;
  /** The values this evaluation gave keys the snapshot does not record (`absent` for a key left out). */
  readonly assumed?: Readonly<Record<string, string>>;
}

interface ProbeRun {
  readonly outcome: ProbeOutcome;
  readonly probe: Probe;
  readonly variant: string | undefined;
}

/** A policy check's verdict, its reason in words, and its evidence. */
export interface PolicyCheckResult {
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly reason: string;
  readonly evidence: PolicyEvidence;
}

interface Attempt extends PolicyCheckResult {
  /** How far the attempt got: of several candidates' failures, the one that got furthest is told. */
  readonly rank: Rank;
  /**
   * For a failure, whose evidence names the request: the same attempt in the words of another request whose every
   * condition clause comes out the same (see {@link CheckMemo}).
   */
  readonly retarget?: (spec: RequestSpec, request: IamRequest) => Attempt;
}

/** How far an attempt got: a grant that leaks tells more than a blocked one, which tells more than none at all. */
const RANK = {
  /** No statement grants the request. */
  noGrant: 0,
  /** A statement grants it but a Deny blocks it, or the decision is not the one the check expects. */
  blocked: 1,
  /** The request is granted, but so is a probe a confined grant must refuse. */
  leaks: 2,
  passes: 3,
} as const;
type Rank = (typeof RANK)[keyof typeof RANK];

interface Prepared {
  readonly candidate: Candidate;
  readonly spec: RequestSpec;
  readonly request: IamRequest;
}

/** A verdict before the policy's problems are added and its lists bounded, and how to retell it for another request. */
interface Judged {
  readonly result: PolicyCheckResult;
  readonly retarget?: (prepared: readonly Prepared[]) => PolicyCheckResult;
}

const NO_WORLD: World = new Map();

/**
 * A run's memo of policy checks. A check's verdict depends on its requests' context values only through the truth of
 * the policy's condition clauses, so checks of one policy whose requests agree on everything else (caller, action,
 * resource, which context keys are present and which are unknown, the probes) and on the truth of every clause, for
 * the request, each probe and each combination of unrecorded values, share one decision: a pass is shared whole,
 * and a failure is retold in the words of its own request (which the evidence names) without deciding it again.
 */
export type CheckMemo = WeakMap<Policy, Map<string, Memoised>>;

export interface Memoised {
  /** The result, when nothing in it names the particular request (a pass, an unknown that names no request). */
  readonly shared?: PolicyCheckResult;
  readonly retarget?: (prepared: readonly Prepared[]) => PolicyCheckResult;
}

/** A memo for one run (it must not outlive the run: the organisation lookup belongs to it). */
export function newCheckMemo(): CheckMemo {
  return new WeakMap();
}

/** Past this many memo entries for one policy (requests that differ in more than condition values), no more are kept. */
const MEMO_ENTRIES = 256;

/**
 * Runs a policy check: the decision for the request, who decided it, and whether the grant is confined. When the
 * policy's conditions read keys whose values no snapshot records, the check runs once for each combination of
 * representative values: a verdict that is the same in every one stands; otherwise the check is `unknown`, naming
 * the keys and what would decide them. With a memo, checks that come out the same share their decision.
 */
export function checkPolicy(policy: Policy, check: PolicyCheck, memo?: CheckMemo): PolicyCheckResult {
  const candidates = candidatesFor(policy, check.principal);
  if (candidates.length === 0) {
    const reason = `has no Allow statement naming an IAM principal (an account, user or role) that could call ${check.action}`;
    return finish(policy, result(fail(RANK.noGrant, reason, { decision: 'not-allowed', ...problems(policy) })));
  }
  const prepared = candidates.map((candidate): Prepared => {
    const spec = check.request(candidate.principal);
    return { candidate, spec, request: buildRequest(spec) };
  });
  const unknown = dimensions(
    policy,
    prepared.map((p) => p.request),
  );
  // `explain` traces every request, so it always decides afresh.
  if (memo === undefined || check.trace !== undefined) return finish(policy, judge(policy, check, prepared, unknown).result);
  let entries = memo.get(policy);
  if (entries === undefined) {
    entries = new Map();
    memo.set(policy, entries);
  }
  const key = memoKey(policy, check, prepared, unknown);
  const hit = entries.get(key);
  if (hit?.shared !== undefined) return hit.shared;
  if (hit?.retarget !== undefined) return finish(policy, hit.retarget(prepared));
  const judged = judge(policy, check, prepared, unknown);
  const outcome = finish(policy, judged.result);
  if (hit === undefined && entries.size < MEMO_ENTRIES) {
    entries.set(
      key,
      outcome.evidence.request === undefined ? { shared: outcome } : judged.retarget === undefined ? {} : { retarget: judged.retarget },
    );
  }
  return outcome;
}

/** The verdict with the policy's invalid statements named and its lists bounded. */
function finish(policy: Policy, outcome: PolicyCheckResult): PolicyCheckResult {
  // Statements skipped as invalid are named whatever the verdict: a pass may rest on AWS reading them the same way.
  const invalid = problems(policy);
  const evidence =
    invalid.policyProblems === undefined || outcome.evidence.policyProblems !== undefined
      ? outcome.evidence
      : { ...outcome.evidence, ...invalid };
  return { status: outcome.status, reason: outcome.reason, evidence: bounded(evidence) };
}

/**
 * What the check's verdict depends on besides the policy: everything about its requests except their context values
 * (which keys are present decides which unrecorded keys are tried), and the truth of every condition clause of the policy for each request it evaluates (the request in each
 * combination of unrecorded values, and each probe of it). Clauses of every statement count, not only those for the
 * action: the closest statement of a failure is chosen by how many of its conditions hold.
 */
function memoKey(policy: Policy, check: PolicyCheck, prepared: readonly Prepared[], unknown: readonly Dimension[]): string {
  const parts = [check.expect, check.scope, check.action, JSON.stringify(check.principal), JSON.stringify(check.probes)];
  const all = unknown.length === 0 ? [NO_WORLD] : (worlds(unknown) ?? []);
  for (const { request } of prepared) {
    // The caller is not named: candidates follow from the policy and `check.principal`, both part of the key.
    parts.push(request.action, request.resource, [...request.context.keys()].join(' '), unknownText(request.unknown));
    for (const world of all) {
      const asked = inWorld(request, world);
      parts.push(truths(policy, asked));
      for (const probe of check.probes)
        for (const variant of probeVariants(policy, asked, probe)) parts.push(truths(policy, variant.request));
    }
  }
  return parts.join('\u0000');
}

/** Whether each condition clause of the policy holds for the request, as a string of 0s and 1s. */
function truths(policy: Policy, request: IamRequest): string {
  let bits = '';
  for (const statement of policy.statements)
    for (const clause of statement.conditions) bits += evaluateCondition(clause, request.context) ? '1' : '0';
  return bits;
}

// The unknown keys of a request come from the catalogue, one list per caller and key, made once (standardFor): each
// list is numbered, so a memo key names it in a few characters. Lists alike but made apart only miss the memo.
const unknownIds = new WeakMap<readonly UnknownKey[], number>();
let unknownCount = 0;
function unknownText(unknown: readonly UnknownKey[] | undefined): string {
  if (unknown === undefined) return '';
  let id = unknownIds.get(unknown);
  if (id === undefined) {
    id = unknownCount++;
    unknownIds.set(unknown, id);
  }
  return String(id);
}

/** The evidence with each list cut to {@link LISTED} entries and the rest counted. */
function bounded(evidence: PolicyEvidence): PolicyEvidence {
  const omitted: Record<string, number> = {};
  const cut = <T>(name: string, list: readonly T[] | undefined): { [name: string]: readonly T[] } => {
    if (list === undefined) return {};
    if (list.length > LISTED) omitted[name] = list.length - LISTED;
    return { [name]: list.slice(0, LISTED) };
  };
  const probes = evidence.probes?.map((probe) => {
    const refs = probe.allowedBy ?? [];
    if (refs.length <= LISTED) return probe;
    omitted[`probes.${probe.name}.allowedBy`] = refs.length - LISTED;
    return { ...probe, allowedBy: refs.slice(0, LISTED) };
  });
  const lists = {
    ...cut('allowedBy', evidence.allowedBy),
    ...cut('deniedBy', evidence.deniedBy),
    ...cut('policyProblems', evidence.policyProblems),
    ...cut('unrecorded', evidence.unrecorded),
  };
  if (Object.keys(omitted).length === 0) return evidence;
  return { ...evidence, ...lists, ...(probes === undefined ? {} : { probes }), omitted };
}

function judge(policy: Policy, check: PolicyCheck, prepared: readonly Prepared[], unknown: readonly Dimension[]): Judged {
  if (unknown.length === 0) return decideIn(policy, check, prepared, NO_WORLD);
  const all = worlds(unknown);
  if (all === undefined) return { result: tooManyWorlds(unknown) };
  return {
    result: combineWorlds(
      unknown,
      all.map((world) => ({ world, result: decideIn(policy, check, prepared, world).result })),
    ),
  };
}

/**
 * The verdict for one world: the first candidate caller that passes, or else the most telling failure. A failure
 * that only the account's own delegation statement explains is not blamed on it: what fails is that no other
 * statement grants the request as confined as the check asks.
 */
function decideIn(policy: Policy, check: PolicyCheck, prepared: readonly Prepared[], world: World): Judged {
  let best: { attempt: Attempt; index: number } | undefined;
  let bestDelegated: { attempt: Attempt; index: number } | undefined;
  for (const [index, entry] of prepared.entries()) {
    const attempt = attemptCandidate(policy, check, entry, world);
    if (attempt.status === 'pass') return { result: result(attempt) };
    const delegated = entry.candidate.statement !== undefined && isDelegation(entry.candidate.statement);
    if (delegated) {
      if (bestDelegated === undefined || attempt.rank > bestDelegated.attempt.rank) bestDelegated = { attempt, index };
    } else if (best === undefined || attempt.rank > best.attempt.rank) best = { attempt, index };
  }
  // The failure told, and how to tell it for another request with the same clause truths (in the neutral world only).
  const told = (chosen: { attempt: Attempt; index: number }, tell: (attempt: Attempt) => PolicyCheckResult): Judged => {
    const retarget = world === NO_WORLD ? chosen.attempt.retarget : undefined;
    return {
      result: tell(chosen.attempt),
      ...(retarget === undefined
        ? {}
        : {
            retarget: (others: readonly Prepared[]) => {
              const other = others[chosen.index] as Prepared;
              return tell(retarget(other.spec, other.request));
            },
          }),
    };
  };
  if (best !== undefined) return told(best, result);
  const requirements = unique(check.probes.map(describeRequirement));
  const grant = `has no statement that grants ${check.action} to an IAM principal${requirements.length === 0 ? '' : ` ${requirements.join(' and ')}`}`;
  const delegating = labels([
    ...new Set(prepared.flatMap((p) => (p.candidate.statement === undefined ? [] : [statementRef(p.candidate.statement)]))),
  ]);
  return told(bestDelegated as { attempt: Attempt; index: number }, (delegation) =>
    result({
      ...delegation,
      reason:
        delegation.evidence.deniedBy === undefined
          ? `${grant} (${delegating} only delegates to the account's IAM policies, as a default key policy does, and can stay)`
          : `${grant}, and ${labels(delegation.evidence.deniedBy)} denies ${check.action} to the account's principals`,
    }),
  );
}

function attemptCandidate(policy: Policy, check: PolicyCheck, prepared: Prepared, world: World): Attempt {
  const { candidate, spec } = prepared;
  const request = inWorld(prepared.request, world);
  const decision = evaluatePolicy(policy, request);
  const who = candidate.description ?? describePrincipal(candidate.principal);
  check.trace?.(traceRequest(policy, 'request', who, request, decision.decision, spec, world));
  const base: PolicyEvidence = {
    decision: decision.decision,
    ...(decision.allowedBy.length === 0 ? {} : { allowedBy: decision.allowedBy }),
    ...(decision.deniedBy.length === 0 ? {} : { deniedBy: decision.deniedBy }),
  };
  const asked = (s: RequestSpec): EvaluatedRequest => ({
    caller: who,
    action: s.action,
    resource: s.resource,
    context: evidenceContext(policy, s),
    encryptionContext: s.encryptionContext,
  });
  // A failure's evidence names the request it failed, so it is made for each request it is told for.
  const failed = (rank: Rank, reason: string, extra: Partial<PolicyEvidence> = {}): Attempt => {
    const tell = (s: RequestSpec): Attempt => ({ ...fail(rank, reason, { ...base, request: asked(s), ...extra }), retarget: tell });
    return tell(spec);
  };
  const granting = grantingStatements(policy, check, candidate, request, decision.allowedBy);
  if (check.expect === 'not-allowed') {
    return decision.decision === 'allowed'
      ? failed(RANK.blocked, `allows ${spec.action} for ${who} by ${labels(decision.allowedBy)}`)
      : pass(`does not allow ${spec.action} for ${who}`, base);
  }
  if (check.expect === 'denied') {
    return decision.decision === 'denied'
      ? pass(`denies ${spec.action} for ${who} by ${labels(decision.deniedBy)}`, base)
      : failed(RANK.blocked, `does not deny ${spec.action} for ${who}`);
  }
  if (granting.length === 0) {
    // The closest statement is chosen by which of its elements hold, so another request with the same clause truths
    // has the same one; what it lacks is told in that request's values.
    const closestStatement = candidate.statement ?? closestAllowStatement(policy, request)?.statement;
    const tell = (s: RequestSpec, r: IamRequest): Attempt => {
      const closest = closestStatement === undefined ? undefined : ownStatement(closestStatement, r);
      const why =
        closest === undefined ? ': it has no Allow statement' : `: the closest, ${label(closest.statement)}, ${closest.lacks.join('; ')}`;
      const evidence = { ...base, request: asked(s), ...(closest === undefined ? {} : { closest }), ...problems(policy) };
      return { ...fail(RANK.noGrant, `does not allow ${s.action} for ${who}${why}`, evidence), retarget: tell };
    };
    return tell(spec, request);
  }
  if (decision.deniedBy.length > 0) {
    return failed(
      RANK.blocked,
      `denies ${spec.action} for ${who} by ${labels(decision.deniedBy)}, although ${labels(granting.map(statementRef))} allows it`,
    );
  }
  const runs = check.probes.flatMap((probe) => runProbe(policy, check, request, granting, probe, spec, world));
  const probes = runs.map((run) => run.outcome);
  const leak = runs.find((run) => run.outcome.allowed);
  if (leak === undefined) {
    const confined = runs.length === 0 ? '' : `, and not ${unique(check.probes.map((p) => describeProbe(p))).join(' or ')}`;
    return pass(
      `allows ${spec.action} for ${who} by ${labels(granting.map(statementRef))}${confined}`,
      runs.length === 0 ? base : { ...base, probes },
    );
  }
  return failed(RANK.leaks, leakReason(policy, spec.action, who, granting, leak), { probes });
}

/**
 * Why a grant is not confined: `allows kms:GenerateDataKey for … by Statement[1], and also without the CloudTrail
 * encryption context; it has no Condition, so nothing confines the grant` (naming the leaking statements when they
 * are not the granting ones, and those of them without any Condition).
 */
function leakReason(policy: Policy, action: string, who: string, granting: readonly Statement[], leak: ProbeRun): string {
  const leakedBy = leak.outcome.allowedBy ?? [];
  const grantedBy = labels(granting.map(statementRef));
  const leakers = labels(leakedBy);
  const open = labels(
    policy.statements.filter((s) => leakedBy.some((r) => r.index === s.index) && s.conditions.length === 0).map(statementRef),
  );
  const also = leakers === grantedBy ? 'and also' : `but ${leakers} also allows it`;
  const holders = open === leakers ? (leakedBy.length === 1 ? 'it has' : 'they have') : `${open} has`;
  const unconfined = open === '' ? '' : `; ${holders} no Condition, so nothing confines the grant`;
  return `allows ${action} for ${who} by ${grantedBy}, ${also} ${describeProbe(leak.probe, leak.variant)}${unconfined}`;
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

function runProbe(
  policy: Policy,
  check: PolicyCheck,
  base: IamRequest,
  granting: readonly Statement[],
  probe: Probe,
  spec: RequestSpec,
  world: World,
): ProbeRun[] {
  return probeVariants(policy, base, probe).map(({ request, variant }) => {
    const decision = evaluatePolicy(policy, request);
    check.trace?.(
      traceRequest(
        policy,
        `probe ${probe.name}${variant === undefined ? '' : ` (account ${variant})`}`,
        describePrincipal(request.principal),
        request,
        decision.decision,
        spec,
        world,
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

/** The requests a probe makes of a request: without some keys, or as made for each other account worth trying. */
function probeVariants(policy: Policy, base: IamRequest, probe: Probe): { request: IamRequest; variant?: string }[] {
  if ('without' in probe) return [{ request: withoutKeys(base, probe.without) }];
  return otherAccounts(policy, probe.otherAccount).map((other) => ({
    request: forAccount(base, probe.otherAccount, other),
    variant: other,
  }));
}

function traceRequest(
  policy: Policy,
  label: string,
  caller: string,
  request: IamRequest,
  decision: Decision,
  spec: RequestSpec,
  world: World,
): RequestTrace {
  const assumed = [...world].map(([key, value]) => [key, describeOption(value)] as const);
  return {
    label,
    caller,
    action: request.action,
    resource: request.resource,
    context: Object.fromEntries(request.context),
    decision,
    statements: policy.statements.map((statement) => traceStatement(statement, request)),
    ...(spec.origins === undefined ? {} : { origins: Object.fromEntries(spec.origins) }),
    ...(assumed.length === 0 ? {} : { assumed: Object.fromEntries(assumed) }),
  };
}

/**
 * The context a failed check's evidence shows: what the rule gave, and of what every such request carries, the keys
 * the policy's conditions read (the rest decided nothing; `trailguard explain` shows it all).
 */
function evidenceContext(policy: Policy, spec: RequestSpec): Readonly<Record<string, ContextValue>> {
  if (spec.standard === undefined) return spec.context;
  const read = conditionKeys(policy);
  const standard = Object.entries(spec.standard).filter(([key]) => read.has(key.toLowerCase()));
  return standard.length === 0 ? spec.context : { ...Object.fromEntries(standard), ...spec.context };
}

const keysRead = new WeakMap<Policy, ReadonlySet<string>>();
function conditionKeys(policy: Policy): ReadonlySet<string> {
  let keys = keysRead.get(policy);
  if (keys === undefined) {
    keys = new Set(policy.statements.flatMap((s) => s.conditions.map((c) => c.keyLower)));
    keysRead.set(policy, keys);
  }
  return keys;
}

function ownStatement(statement: Statement, request: IamRequest): { statement: StatementRef; lacks: readonly string[] } {
  return { statement: statementRef(statement), lacks: lacks(traceStatement(statement, request)) };
}

function result({ status, reason, evidence }: Attempt): PolicyCheckResult {
  return { status, reason, evidence };
}

function pass(reason: string, evidence: PolicyEvidence): Attempt {
  return { status: 'pass', reason, evidence, rank: RANK.passes };
}

function fail(rank: Rank, reason: string, evidence: PolicyEvidence): Attempt {
  return { status: 'fail', reason, evidence, rank };
}

function problems(policy: Policy): { policyProblems?: readonly string[] } {
  const all = [...policy.problems, ...policy.statements.flatMap((s) => s.problems.map((p) => `${label(statementRef(s))}: ${p}`))];
  return all.length === 0 ? {} : { policyProblems: all };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
