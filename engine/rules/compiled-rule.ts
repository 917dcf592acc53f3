import type { ResourceRef, Severity, Status } from '../core/model.js';
import type { MatchesTest, OperatorContext, OperatorResult, ValueTest } from '../operators/types.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot } from '../snapshot/types.js';
import type { Template } from '../template/template.js';
import type { CompiledPath } from './json-path.js';

/** The data a rule's templates and paths read while one resource is evaluated. */
export interface EvaluationState {
  readonly scope: Record<string, unknown>;
  /** Bindings that could not be resolved, with the reason (their paths make assertions `unknown`). */
  readonly unresolved: Map<string, string>;
  readonly set: SnapshotSet;
  readonly snapshot: LoadedSnapshot;
  readonly resource: ResourceRef;
  /** What operators may know of the run beyond the scope (see `OperatorContext`). */
  readonly context: OperatorContext;
  /** This run's memo of work every resource shares. */
  readonly cache: RunCache;
}

/**
 * Work many resources share, done once per run: the values a searching path selects in a shared document (the
 * snapshot, a looked-up key), and an operator's verdict on them. Owned by one evaluation run and dropped with it,
 * so nothing carries over between runs, even on the same objects.
 */
export interface RunCache {
  readonly queries: WeakMap<object, Map<string, unknown[]>>;
  readonly outcomes: WeakMap<readonly unknown[], Map<CompiledAssertion, OperatorResult>>;
}

/** A fresh cache for one run. */
export function newRunCache(): RunCache {
  return { queries: new WeakMap(), outcomes: new WeakMap() };
}

/** Where an assertion's path starts: the resource (`$…`) or a binding (`key.policy`). */
export interface Target {
  readonly text: string;
  /** `~`: the resource's id, whatever its path. */
  readonly id?: true;
  readonly root: string | undefined;
  readonly path: CompiledPath;
}

export type Quantifier = 'all' | 'some' | 'none' | { readonly min?: number; readonly max?: number };

export type CompiledTest = { readonly kind: 'value'; readonly test: ValueTest } | { readonly kind: 'matches'; readonly test: MatchesTest };

export interface CompiledAssertion {
  readonly target: Target;
  readonly op: string;
  readonly quantifier: Quantifier;
  readonly test: CompiledTest;
  readonly message: Template | undefined;
  /**
   * The operator's verdict on given values is the same for every resource (no template in its options, no scope
   * read): on a document many resources share it is computed once.
   */
  readonly resourceFree: boolean;
}

export type BindingOutcome =
  | { readonly ok: true; readonly value: unknown; readonly id?: string }
  | { readonly ok: false; readonly reason: string };

export interface CompiledBinding {
  readonly name: string;
  /**
   * The definition and, recursively, those of the bindings it reads: two rules' bindings with the same signature
   * compute the same value for a resource, so it is computed once.
   */
  readonly signature: string;
  /** Lookups are reported in the evidence (what the trail's key resolved to). */
  readonly isLookup: boolean;
  evaluate(state: EvaluationState): BindingOutcome;
}

/** Rule metadata, as written, carried into the results so reports can be made without the rule files. */
export interface RuleInfo {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly pack: string;
  readonly description?: string;
  readonly rationale?: string;
  readonly audit?: string;
  readonly remediation?: string;
  readonly references: readonly string[];
  readonly controls: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  /** The values of the rule's parameters in this run. */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** A rule file compiled: its metadata, resource selection, bindings, conditions, assertions, messages and fixes, ready to evaluate. */
export interface CompiledRule {
  readonly info: RuleInfo;
  /** Rules with the same resources specification select the same resources, and are evaluated together. */
  readonly resourcesSignature: string;
  readonly file: string;
  /** Where the rule's id is written, for messages about the rule as a whole. */
  readonly idAt: { readonly line: number; readonly column: number };
  readonly resources: {
    readonly path: CompiledPath;
    /** The path of the id in the resource, or `name`: the name the resource is listed under (`id: "~"`). */
    readonly id: CompiledPath | 'name';
    readonly type: string;
    readonly name: CompiledPath | undefined;
    readonly account: CompiledPath | undefined;
    readonly region: CompiledPath | undefined;
  };
  readonly bindings: readonly CompiledBinding[];
  readonly when: readonly CompiledAssertion[];
  readonly assertions: readonly CompiledAssertion[];
  readonly messages: Readonly<Partial<Record<Status, Template>>>;
  /** The rule's fixes, in order: a failing finding gets the first whose `when` conditions all pass. */
  readonly fixes: readonly CompiledFix[];
}

/** A rule's `fix`, compiled: rendered for each failing finding. */
export interface CompiledFix {
  readonly summary: Template;
  readonly statement: ((scope: Readonly<Record<string, unknown>>) => unknown) | undefined;
  readonly command: Template | undefined;
  /** The lookup binding whose document the statement goes into. */
  readonly document: string | undefined;
  /** When this fix is the right one (all must pass); none: always. */
  readonly when: readonly CompiledAssertion[];
}
