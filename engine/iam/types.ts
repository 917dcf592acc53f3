import type { ContextValue, Decision, StatementRef } from '../core/evidence.js';
import type { WildcardMatcher } from '../core/wildcard.js';

export type { ContextValue, Decision, StatementRef } from '../core/evidence.js';

export type Effect = 'Allow' | 'Deny';

/** One entry of a statement's `Principal` or `NotPrincipal` element. */
export type PrincipalEntry =
  | { readonly kind: 'any'; readonly text: string }
  | { readonly kind: 'aws-account'; readonly account: string; readonly text: string }
  | { readonly kind: 'aws-arn'; readonly arn: string; readonly account: string; readonly text: string }
  | { readonly kind: 'service'; readonly name: string; readonly text: string }
  | { readonly kind: 'federated'; readonly name: string; readonly text: string }
  | { readonly kind: 'canonical-user'; readonly id: string; readonly text: string };

/** The caller of a request: an AWS service, or an IAM identity (an account itself is `…:root`). */
export type RequestPrincipal =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'aws'; readonly arn: string; readonly account: string };

/** A pattern as written beside its compiled matcher. */
export interface Pattern {
  readonly text: string;
  readonly test: WildcardMatcher;
}

export type SetQualifier = 'none' | 'any' | 'all';

/** One `operator: { key: values }` pair of a statement's Condition block. */
export interface ConditionClause {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  /** The operator without qualifier and `IfExists`, e.g. `StringLike`; `undefined` when unknown. */
  readonly base: string | undefined;
  readonly set: SetQualifier;
  readonly ifExists: boolean;
  readonly key: string;
  readonly keyLower: string;
  readonly values: readonly string[];
  /** Whether a value holds a policy variable (`${…}`), to be substituted per request. */
  readonly hasVariables: boolean;
}

/** A statement normalised for evaluation; `source` keeps the JSON exactly as the policy holds it. */
export interface Statement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly principals: readonly PrincipalEntry[] | undefined;
  readonly notPrincipals: readonly PrincipalEntry[] | undefined;
  readonly actions: readonly Pattern[] | undefined;
  readonly notActions: readonly Pattern[] | undefined;
  readonly resources: readonly Pattern[] | undefined;
  readonly notResources: readonly Pattern[] | undefined;
  readonly conditions: readonly ConditionClause[];
  /** Why this statement can grant nothing or may be judged differently by AWS (invalid parts). */
  readonly problems: readonly string[];
  readonly source: unknown;
}

/** A key policy parsed for evaluation: its version, statements (with their problems) and problems of its own. */
export interface Policy {
  readonly version: string | undefined;
  readonly statements: readonly Statement[];
  /** Problems with the document as a whole (e.g. no Statement element). */
  readonly problems: readonly string[];
}

/** A context value: IAM context keys are single strings or lists of strings. */

/**
 * A context key whose value is real in the request AWS would see but recorded nowhere trailguard can read
 * (`aws:PrincipalOrgID` of an account whose organisation was not collected, a principal's tags…). A condition on it
 * is evaluated both ways.
 */
export interface UnknownKey {
  /** The key as the catalogue names it; with `prefix`, every key that starts with it (`aws:PrincipalTag/`). */
  readonly key: string;
  readonly keyLower: string;
  readonly prefix: boolean;
  /** What would decide it, in words ("whether account 111122223333 belongs to an organisation…"). */
  readonly hint: string;
  /** Whether AWS may also leave the key out of the request (a principal without tags, an account in no organisation). */
  readonly mayBeAbsent: boolean;
  /** The documentation the catalogue cites for the key. */
  readonly source?: string;
}

/** A request as IAM sees it; context keys are stored lower-cased (their names are case-insensitive). */
export interface IamRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context: ReadonlyMap<string, ContextValue>;
  /** Keys whose value is real but unrecorded; absent from `context` unless a world of values sets them. */
  readonly unknown?: readonly UnknownKey[];
}

/** A policy's decision on a request, with the statements that allowed and denied it. */
export interface PolicyDecision {
  readonly decision: Decision;
  readonly allowedBy: readonly StatementRef[];
  readonly deniedBy: readonly StatementRef[];
}
