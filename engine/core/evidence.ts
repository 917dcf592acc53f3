/**
 * The evidence contract: what the IAM policy operator records about a policy check, as the results document holds
 * it in `assertions[].details`, the reports render it, and `explain` prints it. Declared once, here; the evaluator
 * produces it, the renderers and the CLI read it.
 */

/** A statement of a policy as evidence names it: its position in the `Statement` list and its Sid. */
export interface StatementRef {
  readonly index: number;
  readonly sid?: string;
}

/** A request context value: one string, or several (a multivalued key such as `kms:EncryptionContextKeys`). */
export type ContextValue = string | readonly string[];

/** The policy's effective decision on a request: an explicit Deny wins; without an Allow it is not allowed. */
export type Decision = 'allowed' | 'denied' | 'not-allowed';

/** A condition key the policy reads whose value no snapshot records, and what each value would decide. */
export interface UnrecordedKey {
  readonly key: string;
  /** What would decide it ("whether account 111122223333 belongs to an organisation…"). */
  readonly decidedBy: string;
  /** Whether the verdict changes with the key's value. */
  readonly decisive: boolean;
  /** The verdict for each value tried (`"o-a1b2c3d4e5"`, `another value`, `absent`). */
  readonly outcomes: Readonly<Record<string, 'pass' | 'fail' | 'pass or fail'>>;
}

/** What one probe (the request without a context key, or for another account) found. */
export interface ProbeOutcome {
  readonly name: string;
  /** The account the probe stood in for, for another-account probes. */
  readonly account?: string;
  readonly allowed: boolean;
  /** The statements that allow it (only when one does). */
  readonly allowedBy?: readonly StatementRef[];
}

/** The request a failed check evaluated, so a reader can see exactly what was asked. */
export interface EvaluatedRequest {
  /** The caller in words (`service cloudtrail.amazonaws.com`, an IAM ARN). */
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** The most entries one evidence list holds; the rest are counted in `omitted`. */
export const LISTED = 10;

/** The evidence of a policy check; the request itself (caller and action) is named in the reason. */
export interface PolicyEvidence {
  readonly decision: Decision;
  readonly allowedBy?: readonly StatementRef[];
  readonly deniedBy?: readonly StatementRef[];
  readonly probes?: readonly ProbeOutcome[];
  /** On a fail: the Allow statement closest to granting the request, and what it lacks. */
  readonly closest?: { readonly statement: StatementRef; readonly lacks: readonly string[] };
  /** Statements skipped as invalid, and why: named whatever the verdict. */
  readonly policyProblems?: readonly string[];
  readonly request?: EvaluatedRequest;
  readonly unrecorded?: readonly UnrecordedKey[];
  /** Values of the policy an imported template or plan does not settle, with why: the verdict holds whatever they are, or is unknown. */
  readonly unresolved?: readonly { readonly name: string; readonly reason: string }[];
  /**
   * How many entries each list above left out: a list holds at most {@link LISTED}, so the evidence of a finding
   * stays small whatever the policy (10,000 empty statements would otherwise put 40,000 problems in every finding).
   */
  readonly omitted?: Readonly<Record<string, number>>;
}

/** One principal a policy grants a request to, as the `iam-grantees` policy query finds it. */
export interface Grantee {
  /** In words: `account 333344445555`, a role ARN, `service cloudtrail.amazonaws.com`, `any principal of account …`. */
  readonly who: string;
  /** `account`: an account principal, standing for the account itself (its IAM policies decide who in it). */
  readonly kind: 'account' | 'principal' | 'service' | 'anyone';
  readonly account?: string;
  readonly arn?: string;
  readonly service?: string;
  /** `granted` for some request the rule leaves open; `unknown`: it depends on values no snapshot records. */
  readonly status: 'granted' | 'unknown';
  /** The statements that grant it. */
  readonly allowedBy: readonly StatementRef[];
  /** The granting statements' conditions on keys the request leaves open: what still constrains the grant. */
  readonly conditions?: readonly string[];
  /** For an unknown grantee: the keys nobody recorded that decide it, and why it is unknown. */
  readonly dependsOn?: readonly string[];
  readonly reason?: string;
}

/** The evidence of a policy query (`iam-grantees`): the action asked about and everyone the policy grants it to. */
export interface PolicyQueryEvidence {
  readonly action: string;
  readonly grantees: readonly Grantee[];
  /** The grantees the assertion does not accept (their `who`). */
  readonly violations?: readonly string[];
  readonly policyProblems?: readonly string[];
  /** Values of the policy an imported template or plan does not settle, with why: the verdict holds whatever they are, or is unknown. */
  readonly unresolved?: readonly { readonly name: string; readonly reason: string }[];
}

/** Whether operator evidence is `iam-policy`'s (a decision on one request) rather than a policy query's. */
export function isPolicyEvidence(details: PolicyEvidence | PolicyQueryEvidence): details is PolicyEvidence {
  return 'decision' in details;
}

/**
 * `Statement[1] (Sid "Allow CloudTrail to encrypt logs")`: the JSON index and the Sid, as an auditor finds it in the
 * policy. The one way a statement is named, in messages, reports and `explain`.
 */
export function statementLabel(ref: { readonly index: number; readonly sid?: unknown }): string {
  return typeof ref.sid === 'string' ? `Statement[${ref.index}] (Sid "${ref.sid}")` : `Statement[${ref.index}]`;
}
