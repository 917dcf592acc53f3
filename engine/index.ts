/**
 * trailguard's engine: load snapshots and rule packs, evaluate, and render results. The CLI is one user of this
 * API; it imports nothing from the collectors or the CLI.
 */

export { type Diagnostic, type ErrorCode, formatDiagnostic, TrailguardError } from './core/errors.js';
export type { AssertionEvidence, Evidence, Finding, ResourceRef, Severity, Status } from './core/model.js';
export { atLeast, SEVERITIES, STATUSES } from './core/model.js';
export { evaluateRule, evaluateRules } from './evaluate/evaluate-rule.js';
export { checkPolicy, type PolicyCheck, type PolicyCheckResult } from './iam/check-policy.js';
export { evaluatePolicy, makeRequest } from './iam/evaluate-policy.js';
export { parsePolicy } from './iam/parse-policy.js';
export { closestAllow, type StatementTrace, tracePolicy } from './iam/trace.js';
export type { IamRequest, Policy, PolicyDecision, RequestPrincipal, Statement, StatementRef } from './iam/types.js';
export { OPERATORS } from './operators/index.js';
export type { OperatorDefinition, OperatorResult } from './operators/types.js';
export { FORMATS } from './render/formats.js';
export type { FormatOptions, Formatter } from './render/formatter.js';
export { isFailing, RESULTS_VERSION, type ResultsDocument, type ResultsHead, type Summary, SummaryBuilder } from './results/results.js';
export type { CompiledRule, RuleInfo } from './rules/compiled-rule.js';
export { BUILTIN_PACK_DIR, loadRulePacks, type RulePack } from './rules/load-rules.js';
export { LOOKUPS } from './rules/lookups.js';
export { type CheckRequest, type PreparedCheck, prepareCheck, TOOL_VERSION } from './run-check.js';
export { loadSnapshot, loadSnapshots, SNAPSHOT_SCHEMA_VERSION } from './snapshot/load-snapshot.js';
export { SnapshotSet } from './snapshot/snapshot-set.js';
export type { KeyEntry, KeyView, LoadedSnapshot, SnapshotDocument } from './snapshot/types.js';
