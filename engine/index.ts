/**
 * trailguard's engine, the package's public API (`import … from 'trailguard'`): load snapshots and rule packs,
 * evaluate, explain, test rules, and render results. The CLI is one user of this API and imports nothing else from
 * the engine; the engine imports nothing from the collectors or the CLI. docs/api.md lists every export.
 */

export {
  combineErrors,
  type Diagnostic,
  type ErrorCode,
  formatDiagnostic,
  InternalError,
  sortDiagnostics,
  TrailguardError,
} from './core/errors.js';
export type { EvaluatedRequest, PolicyEvidence, ProbeOutcome, StatementRef, UnrecordedKey } from './core/evidence.js';
export { statementLabel } from './core/evidence.js';
export type { AssertionEvidence, Evidence, Finding, Fix, ResourceRef, Severity, Status } from './core/model.js';
export { atLeast, SEVERITIES, STATUSES } from './core/model.js';
export { statementsOf } from './core/policy-statements.js';
export { jsonSafe, quote, terminalSafe, terminalSafeLines, xmlSafe } from './core/safe-text.js';
export { stableJson } from './core/stable-json.js';
/** Spelling suggestions for names a user mistyped (commands, options, operators, rule fields). */
export { closestName, didYouMean } from './core/suggest.js';
export { Unresolved, type UnresolvedRecord, unresolvedName } from './core/unresolved.js';
export { evaluateRule, evaluateRules } from './evaluate/evaluate-rule.js';
export { type ExplainRequest, type Explanation, explain, type StepTrace } from './explain.js';
export { applyOrder, commandsFor, type FixFile, fixFiles, keyFolder, policyJson } from './fix/fix-forms.js';
export { type FindingRef, type FixPlan, KEY_POLICY_LIMIT, type KeyFix, type KeyFixKind } from './fix/fix-plan.js';
export { mergeStatements, type StatementJson } from './fix/merge-statements.js';
export { checkPolicy, type PolicyCheck, type PolicyCheckResult, type RequestTrace } from './iam/check-policy.js';
export { evaluatePolicy, makeRequest } from './iam/evaluate-policy.js';
export { parsePolicy } from './iam/parse-policy.js';
export { closestAllow, type StatementTrace, tracePolicy } from './iam/trace.js';
export type { IamRequest, Policy, PolicyDecision, RequestPrincipal, Statement } from './iam/types.js';
export { type CloudFormationOptions, importCloudFormation, type TemplateFile } from './import/cloudformation.js';
export { type ImportOptions, type InputFileKind, importInputs, importPlan, importTemplates, inputKind } from './import/import-input.js';
export { loadParameters } from './import/parameters.js';
export type { ImportedSnapshot } from './import/snapshot-builder.js';
export { importTerraformPlan, type TerraformPlanOptions } from './import/terraform-plan.js';
export { type InputKind, readTextFile, SIZE_LIMITS } from './input/read-input.js';
export { OPERATORS } from './operators/index.js';
export type { OperatorDefinition, OperatorResult } from './operators/types.js';
export { DIFF_FORMATS, type DiffFormat, formatDiff } from './render/format-diff.js';
export { checkTemplate, customTemplateFormatter } from './render/format-template.js';
export { FORMATS } from './render/formats.js';
export type { FormatOptions, Formatter } from './render/formatter.js';
export { type ChangedStatement, diffResults, type FindingChange, type PolicyChange, type ResultsDiff } from './results/diff-results.js';
export { loadResults } from './results/load-results.js';
export { resolveResults } from './results/references.js';
export {
  isFailing,
  RESULTS_VERSION,
  type ResultsDocument,
  type ResultsHead,
  type ResultsStream,
  type Summary,
  SummaryBuilder,
  streamOf,
} from './results/results.js';
export type { CompiledRule, RuleInfo } from './rules/compiled-rule.js';
export { BUILTIN_PACK_DIR, loadRulePacks, loadRulePacksChecked, type RulePack } from './rules/load-rules.js';
export { LOOKUPS } from './rules/lookups.js';
export { type CheckRequest, type PreparedCheck, prepareCheck, TOOL_VERSION } from './run-check.js';
export { type FixRequest, planFix, replacementArn } from './run-fix.js';
export { inMemorySnapshot, loadSnapshot, loadSnapshots, SNAPSHOT_SCHEMA_VERSION, snapshotFromData } from './snapshot/load-snapshot.js';
export { SnapshotSet } from './snapshot/snapshot-set.js';
export type { CollectionRecord, KeyEntry, KeyView, LoadedSnapshot, SnapshotDocument, SourceLocation } from './snapshot/types.js';
export { loadPackTests, type RuleTest, runRuleTests, type TestRun, unusedExpectations } from './testing/rule-tests.js';
export { loadWaivers, type Waiver, type WaiverOutcome } from './waivers/waivers.js';
