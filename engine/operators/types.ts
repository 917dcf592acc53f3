import type { PolicyEvidence, PolicyQueryEvidence } from '../core/evidence.js';
import type { CheckMemo, RequestTrace } from '../iam/check-policy.js';
import type { OrganisationFact } from '../iam/context-catalogue.js';
import type { Scope, Template } from '../template/template.js';

export type OperatorStatus = 'pass' | 'fail' | 'unknown';

/** What an operator concludes about a value: the status, a reason in words, and details for the evidence. */
export interface OperatorResult {
  readonly status: OperatorStatus;
  /** A predicate phrase (`is "Disabled", not "Enabled"`) or, for policy operators, a whole clause. */
  readonly reason: string;
  readonly details?: PolicyEvidence | PolicyQueryEvidence;
}

/** Given to `compile`: turns option strings with `{{…}}` into templates (and records what they read). */
export interface CompileContext {
  template(text: string): Template;
  /** A function giving the option's value for a scope: strings (also inside arrays) are rendered as templates. */
  value(option: unknown): (scope: Scope) => unknown;
}

/**
 * What an operator may know of the run besides the scope its templates read, passed explicitly: the snapshots'
 * record of each account's organisation, and — only for `trailguard explain` — where to send each request's trace.
 */
export interface OperatorContext {
  readonly organisation: (account: string) => OrganisationFact;
  readonly trace?: (trace: RequestTrace) => void;
  /** The run's memo of policy checks (see `CheckMemo`); without it every check is decided afresh. */
  readonly policyMemo?: CheckMemo;
  /** Why an unresolved value (`<unresolved: NAME>`, from an imported template or plan) is unresolved, by name. */
  readonly unresolvedReason?: (name: string) => string | undefined;
}

export type ValueTest = (value: unknown, scope: Scope, context: OperatorContext) => OperatorResult;
export type MatchesTest = (values: readonly unknown[], scope: Scope, context: OperatorContext) => OperatorResult;

interface Common {
  readonly name: string;
  /** One line for `docs/rules.md` and error messages. */
  readonly summary: string;
  /** JSON Schema of the assertion properties this operator takes besides path, op, quantifier, count, message. */
  readonly options: { readonly properties: Readonly<Record<string, object>>; readonly required?: readonly string[] };
  /**
   * The operator reads the resource's scope beyond the templates in its options (the IAM policy operator builds
   * requests from it): its result on a value can differ from one resource to the next.
   */
  readonly readsScope?: true;
}

/** Tests each value the path selects; the assertion's quantifier combines the results. */
export interface ValueOperator extends Common {
  readonly kind: 'value';
  compile(options: Readonly<Record<string, unknown>>, context: CompileContext): ValueTest;
}

/** Judges everything the path selects at once (exists, absent): quantifiers do not apply. */
export interface MatchesOperator extends Common {
  readonly kind: 'matches';
  compile(options: Readonly<Record<string, unknown>>, context: CompileContext): MatchesTest;
}

/** An operator of the catalogue: one that tests each selected value, or one that judges them all at once. */
export type OperatorDefinition = ValueOperator | MatchesOperator;

/**
 * Thrown by `compile` for options the schema cannot rule out; the loader reports it at the assertion, or, when it
 * names the `option`, at that option (a regular expression RE2 cannot compile is reported at `pattern`).
 */
export class OperatorOptionsError extends Error {
  constructor(
    message: string,
    readonly problem?: { readonly code: 'regex'; readonly option: string },
  ) {
    super(message);
  }
}
