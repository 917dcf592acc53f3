import type { Grantee, PolicyQueryEvidence } from '../core/evidence.js';
import { statementLabel } from '../core/evidence.js';
import { compileWildcard } from '../core/wildcard.js';
import { parsePolicy } from '../iam/parse-policy.js';
import { relevantNames, unresolvedBounds } from '../iam/unresolved-worlds.js';
import { whoCan } from '../iam/who-can.js';
import { show } from './helpers.js';
import { type Bounded, withinBounds } from './iam-policy.js';
import { compileRequest, REQUEST_PROPERTIES } from './iam-request.js';
import { OperatorOptionsError, type ValueOperator } from './types.js';

const TEMPLATE = { type: 'string' };
const LISTED = 10;

/**
 * A policy query: who the IAM policy document at the path lets make a request (every principal a statement grants it
 * to, with the statement and the conditions that still constrain it), judged against what the rule accepts: `only`
 * these accounts, principals and services; `none` at all; or `noWildcard`, no grant to any principal of any account.
 * `ignoreServices` leaves service principals out (a rule about accounts).
 */
export const iamGrantees: ValueOperator = {
  name: 'iam-grantees',
  kind: 'value',
  readsScope: true,
  summary: 'who the policy document grants `request` to; `only` these accounts, principals or services, `none`, or `noWildcard`',
  options: {
    properties: {
      request: {
        type: 'object',
        required: ['action', 'resource'],
        additionalProperties: false,
        properties: { ...REQUEST_PROPERTIES, without: { type: 'array', items: TEMPLATE, minItems: 1 }, partition: TEMPLATE },
      },
      only: { type: 'array', items: { anyOf: [TEMPLATE, { type: 'array', items: TEMPLATE }] } },
      none: { const: true },
      noWildcard: { const: true },
      ignoreServices: { const: true },
    },
    required: ['request'],
  },
  compile(options, context) {
    const request = options.request as Record<string, unknown>;
    const kinds = ['only', 'none', 'noWildcard'].filter((k) => options[k] !== undefined);
    if (kinds.length === 0)
      throw new OperatorOptionsError('iam-grantees needs what it accepts: only (a list), none: true or noWildcard: true');
    if (options.none !== undefined && options.only !== undefined)
      throw new OperatorOptionsError('none and only contradict each other: give one');
    const compiled = compileRequest(request, context);
    const without = ((request.without ?? []) as string[]).map((k) => context.template(k));
    const viaService = request.viaService === undefined ? undefined : context.template(String(request.viaService));
    const partition = context.template(String(request.partition ?? '{{snapshot.account.partition}}'));
    const only = options.only === undefined ? undefined : context.value(options.only);
    return (value, scope, run) => {
      if (value === null || value === undefined)
        return { status: 'unknown', reason: 'has no policy document to evaluate (it was not collected)' };
      if (typeof value !== 'object' || Array.isArray(value)) return { status: 'fail', reason: `is ${show(value)}, not a policy document` };
      const action = compiled.action.render(scope);
      const accepted = only === undefined ? undefined : acceptedList(only(scope));
      const refused = (g: Grantee) =>
        options.none === true || (options.noWildcard === true && g.kind === 'anyone') || (accepted !== undefined && !accepts(accepted, g));
      const query = (document: unknown): Bounded<PolicyQueryEvidence> => {
        const policy = parsePolicy(document);
        const found = whoCan(policy, {
          action,
          request: compiled.forResource(scope, policy, run.organisation, false),
          without: without.map((k) => k.render(scope)),
          viaService: viaService?.render(scope) || undefined,
          partition: partition.render(scope) || 'aws',
        });
        const judged = options.ignoreServices === true ? { ...found, grantees: found.grantees.filter((g) => g.kind !== 'service') } : found;
        return judge(judged, refused, accepted);
      };
      // A policy with values an imported template does not settle: a grant can only widen as they widen, so the
      // query is judged at its two bounds, as iam-policy judges a request that must not be allowed.
      const bounds = unresolvedBounds(value);
      const result =
        bounds === undefined
          ? query(value)
          : withinBounds<PolicyQueryEvidence>(
              'not-allowed',
              relevantNames(bounds, [action]),
              () => query(bounds.permissive),
              () => query(bounds.restrictive),
              run.unresolvedReason,
            );
      return { status: result.status, reason: result.reason, details: result.evidence };
    };
  },
};

function judge(
  query: PolicyQueryEvidence,
  refused: (g: Grantee) => boolean,
  accepted: readonly string[] | undefined,
): Bounded<PolicyQueryEvidence> {
  const violations = query.grantees.filter(refused);
  const details: PolicyQueryEvidence = violations.length === 0 ? query : { ...query, violations: violations.map((g) => g.who) };
  const granted = violations.filter((g) => g.status === 'granted');
  const expected = accepted === undefined ? '' : `, which is not one of ${accepted.length === 0 ? '(none)' : accepted.join(', ')}`;
  if (granted.length > 0)
    return { status: 'fail', reason: `grants ${query.action} to ${list(granted.map(described))}${expected}`, evidence: details };
  if (violations.length > 0)
    return {
      status: 'unknown',
      reason: `cannot be decided from the snapshot: it may grant ${query.action} to ${list(violations.map(described))}`,
      evidence: details,
    };
  if (query.grantees.length === 0) return { status: 'pass', reason: `grants ${query.action} to no one`, evidence: details };
  const whom = list(query.grantees.map((g) => g.who));
  return {
    status: 'pass',
    reason: `grants ${query.action} only to ${whom}${accepted === undefined ? '' : ', each of them accepted'}`,
    evidence: details,
  };
}

/** `account 333344445555 (by Statement[4] (Sid "…"), when StringLike kms:EncryptionContext:… "…")` */
function described(g: Grantee): string {
  const by = g.allowedBy.map(statementLabel).join(' and ');
  const when = g.conditions === undefined ? '' : `, when ${g.conditions.join(' and ')}`;
  const unknown = g.status === 'unknown' && g.reason !== undefined ? `; ${g.reason}` : '';
  return `${g.who} (by ${by}${when}${unknown})`;
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, LISTED);
  const more = items.length - shown.length;
  const text = shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return more > 0 ? `${text} and ${more} more` : text;
}

/** The accepted entries, with lists (a list parameter) spread and empty ones dropped. */
function acceptedList(value: unknown): string[] {
  const flat = Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : [value];
  return flat.filter((v) => v !== null && v !== undefined && v !== '').map((v) => String(v));
}

/**
 * Whether an entry of `only` covers the grantee: an account id covers the account and every principal in it; an ARN
 * (wildcards allowed) the principals it matches; a service name that service. Any principal of an account the
 * policy does not name is covered by none: it stands for every account.
 */
function accepts(entries: readonly string[], g: Grantee): boolean {
  if (g.kind === 'anyone') return false;
  return entries.some((entry) => {
    if (/^\d{12}$/.test(entry)) return g.account === entry;
    if (g.kind === 'service') return g.service === entry.toLowerCase();
    if (entry.includes(':')) {
      return g.arn !== undefined && compileWildcard(entry)(g.arn);
    }
    return false;
  });
}
