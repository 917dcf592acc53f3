import type { Status } from '../core/model.js';
import { MAX_POLICY_LENGTH } from '../snapshot/load-snapshot.js';

/** KMS refuses key policies longer than this (characters), and so does a snapshot. */
export const KEY_POLICY_LIMIT = MAX_POLICY_LENGTH;

/** What `trailguard fix` does about one key. */
export type KeyFixKind =
  /** A new policy for the key, proven by re-evaluating. */
  | 'policy'
  /** The key's policy cannot be changed (AWS managed): a new customer managed key with this policy, and the trails moved to it. */
  | 'new-key'
  /** The key's state is the problem (disabled, pending deletion): commands for that state. */
  | 'key-state'
  /** A policy was computed but refused: it would make something worse. */
  | 'refused'
  /** Nothing trailguard can write fixes it (the policy was not collected, the key does not exist…). */
  | 'manual';

/** What `trailguard fix` found and proposes for one key, with the proof. */
export interface KeyFix {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly kind: KeyFixKind;
  /** Whether the key belongs to an account none of its trails are in (a log-archive key): its owner applies the fix. */
  readonly ownedElsewhere: boolean;
  /** The trails that use the key. */
  readonly trails: readonly string[];
  /** The policy as collected, and the new one (for `policy` and `new-key`; for `refused`, the one refused). */
  readonly before: unknown;
  readonly after: unknown;
  /** What changes and why, in the order applied. */
  readonly changes: readonly string[];
  /** Findings the fix turns from fail or error to pass or skip. */
  readonly resolves: readonly FindingRef[];
  /** Failing findings on the key's trails that the fix does not resolve, with their messages. */
  readonly remaining: readonly (FindingRef & { readonly message: string })[];
  /** Why a computed policy was refused. */
  readonly refusals: readonly string[];
  /** Commands to run, in order (for `new-key` and `key-state`). */
  readonly commands: readonly string[];
  /**
   * For a key declared in an imported CloudFormation template or Terraform plan: where, and the fix as a change to
   * it — a patch of the template (proven to import to the fixed policy), or why there is none.
   */
  readonly source?: KeySource;
}

/** Where an imported file declares a key, and the fix written as a change to that file. */
export interface KeySource {
  readonly kind: 'cloudformation' | 'terraform-plan';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The logical id or Terraform address. */
  readonly resource: string;
  /** A unified diff of the template that makes the policy the fixed one (CloudFormation). */
  readonly patch?: string;
  /** Why no patch is given, when none is. */
  readonly reason?: string;
}

/** A finding by rule and resource, with its status before and after a fix. */
export interface FindingRef {
  readonly ruleId: string;
  readonly resource: string;
  readonly before: Status;
  readonly after: Status;
}

/** Every key's fix, and the snapshots with the proven policies in place. */
export interface FixPlan {
  readonly keys: readonly KeyFix[];
  /** Each input snapshot with the proven policies in place: check them to see the fix's effect. */
  readonly fixed: readonly { readonly path: string; readonly document: unknown }[];
  /** Findings that got worse with every proven policy in place; empty unless something slipped past the proof. */
  readonly worse: readonly FindingRef[];
}
