import type { PolicyEvidence, PolicyQueryEvidence } from './evidence.js';

/** The statuses a finding can have. */
export type Status = 'pass' | 'fail' | 'unknown' | 'skip' | 'waived' | 'error';
/** Every status, in the order reports list them (failing first). */
export const STATUSES: readonly Status[] = ['fail', 'error', 'unknown', 'waived', 'skip', 'pass'];

/** A rule's severity. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Whether `severity` is at or above `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** The resource a finding is about. */
export interface ResourceRef {
  readonly id: string;
  readonly type: string;
  readonly account: string;
  readonly region: string;
  readonly name?: string;
}

/** What one assertion (or `when` condition) found. */
export interface AssertionEvidence {
  readonly path: string;
  readonly op: string;
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly reason: string;
  /** The value observed, when it is small enough to quote. */
  readonly observed?: unknown;
  /**
   * The IAM policy operators' evidence: for `iam-policy`, the statements that granted or blocked the request, and
   * why; for `iam-grantees`, everyone the policy grants the request to.
   */
  readonly details?: PolicyEvidence | PolicyQueryEvidence;
  /** The looked-up document the path was read from (a key ARN): its content is in the results' `documents`. */
  readonly document?: string;
}

/** How to fix a failing finding, filled in with the resource's own values. */
export interface Fix {
  readonly summary: string;
  /** A policy statement to add, ready to paste. */
  readonly statement?: unknown;
  readonly command?: string;
  /** The document the statement goes into (a key ARN in the results' `documents`). */
  readonly document?: string;
}

/** A finding's evidence: the conditions and assertions with what each found, the lookups, an error, a waiver. */
export interface Evidence {
  /** The `when` conditions, when one of them made the rule not apply. */
  readonly when?: readonly AssertionEvidence[];
  readonly assertions?: readonly AssertionEvidence[];
  /** What each lookup resolved to (e.g. the key ARN), or null when it could not be resolved. */
  readonly lookups?: Readonly<Record<string, string | null>>;
  readonly error?: string;
  /** On a `waived` finding: the exception that applied and the verdict it set aside. */
  readonly waiver?: WaiverEvidence;
}

export interface WaiverEvidence {
  readonly reason: string;
  readonly owner: string;
  /** ISO date (YYYY-MM-DD) after which the waiver no longer applies. */
  readonly expires: string;
  /** The waiver's resource pattern (an exact id or a glob) that matched. */
  readonly resource?: string;
  /** The verdict before the waiver applied. */
  readonly status?: Status;
}

/** Where an imported file (a CloudFormation template, a Terraform plan) writes what a finding is about. */
export interface FindingLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The resource as the file names it (a logical id, a Terraform address). */
  readonly resource?: string;
}

/** One verdict of one rule on one resource. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly resource: ResourceRef;
  readonly status: Status;
  readonly message: string;
  readonly evidence: Evidence;
  /** For a failing finding whose rule says how to fix it. */
  readonly fix?: Fix;
  /**
   * For a resource imported from a template or plan: the line to change — the key policy a policy rule judged, else
   * the resource's declaration.
   */
  readonly location?: FindingLocation;
}
