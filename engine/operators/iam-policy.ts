import { checkPolicy, type PolicyCheck, type PolicyCheckResult, type PrincipalSource } from '../iam/check-policy.js';
import { parsePolicy } from '../iam/parse-policy.js';
import type { Probe } from '../iam/request-spec.js';
import { relevantNames, type UnresolvedBounds, unresolvedBounds } from '../iam/unresolved-worlds.js';
import type { Scope } from '../template/template.js';
import { show } from './helpers.js';
import { compileRequest, REQUEST_PROPERTIES } from './iam-request.js';
import { type CompileContext, OperatorOptionsError, type ValueOperator } from './types.js';

const TEMPLATE = { type: 'string' };

export { OperatorOptionsError } from './types.js';

/**
 * Evaluates the IAM policy document at the path against a described request: allowed, not allowed or denied, with
 * the statements responsible, and, for `expect: allowed`, probes that the grant must not also allow.
 */
export const iamPolicy: ValueOperator = {
  name: 'iam-policy',
  kind: 'value',
  readsScope: true,
  summary: 'evaluates the policy document against `request`; `expect` allowed (default), not-allowed or denied; `confined` probes',
  options: {
    properties: {
      expect: { enum: ['allowed', 'not-allowed', 'denied'] },
      request: {
        type: 'object',
        required: ['principal', 'action', 'resource'],
        additionalProperties: false,
        properties: {
          principal: {
            type: 'object',
            additionalProperties: false,
            properties: { service: TEMPLATE, aws: TEMPLATE, namedByPolicy: { type: 'boolean' }, account: TEMPLATE, partition: TEMPLATE },
          },
          ...REQUEST_PROPERTIES,
        },
      },
      confined: {
        type: 'object',
        additionalProperties: false,
        required: ['probes'],
        properties: {
          scope: { enum: ['policy', 'granting-statement'] },
          probes: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['name'],
              additionalProperties: false,
              properties: {
                name: TEMPLATE,
                description: TEMPLATE,
                requirement: TEMPLATE,
                without: { type: 'array', items: TEMPLATE, minItems: 1 },
                otherAccount: TEMPLATE,
              },
            },
          },
        },
      },
    },
    required: ['request'],
  },
  compile(options, context) {
    const expect = (options.expect ?? 'allowed') as PolicyCheck['expect'];
    const request = options.request as Record<string, unknown>;
    const confined = options.confined as { scope?: string; probes: Record<string, unknown>[] } | undefined;
    if (confined !== undefined && expect !== 'allowed') throw new OperatorOptionsError('confined probes only apply with expect: allowed');
    // With several candidate callers the check passes when one does: that reads as "someone is allowed" only.
    if ((request.principal as Record<string, unknown> | undefined)?.namedByPolicy === true && expect !== 'allowed') {
      throw new OperatorOptionsError(
        'request.principal.namedByPolicy only applies with expect: allowed: to ask that no one else may make the request, use op: iam-grantees (who the policy grants it to, with only, none or noWildcard)',
      );
    }
    const principal = compilePrincipal(request.principal as Record<string, unknown>, context);
    const compiled = compileRequest(request, context);
    const action = compiled.action;
    const probes = (confined?.probes ?? []).map((p) => compileProbe(p, context));
    const scopeKind = confined?.scope === 'granting-statement' ? 'granting-statement' : 'policy';
    return (value, scope, run) => {
      if (value === null || value === undefined)
        return { status: 'unknown', reason: 'has no policy document to evaluate (it was not collected)' };
      if (typeof value !== 'object' || Array.isArray(value)) return { status: 'fail', reason: `is ${show(value)}, not a policy document` };
      const source = principal(scope);
      const renderedProbes = probes.map((p) => p(scope));
      const badProbe = renderedProbes.find((p) => 'otherAccount' in p && !/^\d{12}$/.test(p.otherAccount));
      if (badProbe !== undefined && 'otherAccount' in badProbe) {
        return { status: 'unknown', reason: `cannot probe another account: ${show(badProbe.otherAccount)} is not an account id` };
      }
      const judge = (document: unknown) => {
        const policy = parsePolicy(document);
        const trace = run.trace;
        // Where each value came from is only shown by `trailguard explain`: only then is it worked out.
        const build = compiled.forResource(scope, policy, run.organisation, trace !== undefined);
        return checkPolicy(
          policy,
          {
            expect,
            action: action.render(scope),
            principal: source,
            request: build,
            probes: renderedProbes,
            scope: scopeKind,
            trace,
          },
          run.policyMemo,
        );
      };
      const bounds = unresolvedBounds(value);
      const result =
        bounds === undefined
          ? judge(value)
          : withinBounds(
              expect,
              relevantNames(bounds, [action.render(scope)]),
              () => judge(bounds.permissive),
              () => judge(bounds.restrictive),
              run.unresolvedReason,
            );
      return { status: result.status, reason: result.reason, details: result.evidence };
    };
  },
};

function compilePrincipal(spec: Record<string, unknown>, context: CompileContext): (scope: Scope) => PrincipalSource {
  const kinds = ['service', 'aws', 'namedByPolicy'].filter((k) => spec[k] !== undefined);
  if (kinds.length !== 1) throw new OperatorOptionsError('request.principal needs exactly one of service, aws or namedByPolicy');
  if (spec.service !== undefined) {
    const name = context.template(String(spec.service));
    return (scope) => ({ kind: 'fixed', principal: { kind: 'service', name: name.render(scope).toLowerCase() } });
  }
  if (spec.aws !== undefined) {
    const arn = context.template(String(spec.aws));
    return (scope) => {
      const text = arn.render(scope);
      const account = /^\d{12}$/.test(text) ? text : (text.split(':')[4] ?? '');
      return { kind: 'fixed', principal: { kind: 'aws', arn: /^\d{12}$/.test(text) ? `arn:aws:iam::${text}:root` : text, account } };
    };
  }
  if (spec.account === undefined)
    throw new OperatorOptionsError('request.principal.namedByPolicy needs account: the account a "*" principal stands for');
  const account = context.template(String(spec.account));
  const partition = context.template(String(spec.partition ?? 'aws'));
  return (scope) => ({ kind: 'named-by-policy', defaultAccount: account.render(scope), partition: partition.render(scope) || 'aws' });
}

function compileProbe(spec: Record<string, unknown>, context: CompileContext): (scope: Scope) => Probe {
  const name = String(spec.name);
  const description = spec.description === undefined ? undefined : context.template(String(spec.description));
  const hasWithout = spec.without !== undefined;
  if (hasWithout === (spec.otherAccount !== undefined))
    throw new OperatorOptionsError(`probe ${name} needs exactly one of without or otherAccount`);
  const requirement = spec.requirement === undefined ? undefined : context.template(String(spec.requirement));
  const described = (scope: Scope) => ({
    ...(description === undefined ? {} : { description: description.render(scope) }),
    ...(requirement === undefined ? {} : { requirement: requirement.render(scope) }),
  });
  if (hasWithout) {
    const keys = (spec.without as string[]).map((k) => context.template(k));
    return (scope) => ({ name, ...described(scope), without: keys.map((k) => k.render(scope)) });
  }
  const account = context.template(String(spec.otherAccount));
  return (scope) => ({ name, ...described(scope), otherAccount: account.render(scope) });
}

/**
 * The verdict on a policy whose unresolved values are bounded by a permissive and a restrictive policy (see
 * {@link UnresolvedBounds}): it stands when the bounds settle it whatever the values are, and is unknown, naming
 * them, otherwise. For `expect: allowed`, a pass needs the request granted by the restrictive policy and no probe
 * by the permissive one; a fail, the request not granted by the permissive policy or a probe granted by the
 * restrictive one. The other expectations are one-sided.
 */
export function withinBounds<E extends BoundEvidence>(
  expect: PolicyCheck['expect'],
  names: readonly string[],
  judgePermissive: () => Bounded<E>,
  judgeRestrictive: () => Bounded<E>,
  reasonOf: ((name: string) => string | undefined) | undefined,
): Bounded<E> {
  const permissive = judgePermissive();
  // No unresolved value bears on the request: both bounds are the policy as far as it goes.
  if (names.length === 0) return permissive;
  const restrictive = judgeRestrictive();
  const unresolved = names.map((name) => ({ name, reason: reasonOf?.(name) ?? 'a value the imported file does not settle' }));
  const whatever = `whatever ${names.join(', ')} ${names.length === 1 ? 'turns out to be' : 'turn out to be'}`;
  const settled = (result: Bounded<E>): Bounded<E> => ({
    status: result.status,
    reason: `${result.reason} (${whatever})`,
    evidence: { ...result.evidence, unresolved },
  });
  const leaks = (result: Bounded<E>) => result.evidence.probes?.some((p) => p.allowed) === true;
  if (expect === 'allowed') {
    if (permissive.status === 'pass' && restrictive.status === 'pass') return settled(restrictive);
    if (permissive.status === 'fail' && permissive.evidence.decision !== 'allowed') return settled(permissive);
    if (restrictive.status === 'fail' && leaks(restrictive)) return settled(restrictive);
  } else {
    // Not allowed (or denied) even by the permissive policy: by none; allowed even by the restrictive one: by all.
    if (permissive.status === 'pass') return settled(permissive);
    if (restrictive.status === 'fail') return settled(restrictive);
  }
  const decides = unresolved.map((u) => `${u.name} (${u.reason})`).join('; ');
  return {
    status: 'unknown',
    reason: `cannot be decided before deployment: it depends on ${decides}. At its most permissive the policy ${verdictWords(permissive)}; at its most restrictive it ${verdictWords(restrictive)}`,
    evidence: { ...(restrictive.status === 'pass' ? permissive : restrictive).evidence, unresolved },
  };
}

/**
 * What {@link withinBounds} reads of a bound's evidence: an `iam-policy` decision with its probes, or a policy
 * query's grantees (which have neither); it adds the unresolved values with their reasons.
 */
interface BoundEvidence {
  readonly decision?: string;
  readonly probes?: readonly { readonly allowed: boolean }[];
  readonly unresolved?: readonly { readonly name: string; readonly reason: string }[];
}

/** A verdict on one bound of a policy (an `iam-policy` check or a policy query), with its evidence. */
export interface Bounded<E extends BoundEvidence> {
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly reason: string;
  readonly evidence: E;
}

/** A bound's verdict in a word: its reason would quote the stand-in values the bound put in place of the unresolved ones. */
function verdictWords(result: Bounded<BoundEvidence>): string {
  return result.status === 'pass' ? 'passes' : result.status === 'fail' ? 'fails' : 'is itself undecided';
}
