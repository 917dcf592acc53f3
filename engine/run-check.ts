import { readFileSync } from 'node:fs';
import { combineErrors } from './core/errors.js';
import type { Finding, Severity } from './core/model.js';
import { packagePath } from './core/package-root.js';
import { unresolvedIn } from './core/unresolved.js';
import { type Documents, evaluateRules } from './evaluate/evaluate-rule.js';
import { evaluateInWorkers } from './evaluate/parallel.js';
import { type ImportOptions, importInputs } from './import/import-input.js';
import { COVERAGE_RULE, coverageFindings } from './results/coverage-findings.js';
import { inputInfo, RESULTS_VERSION, type ResultsHead, type ResultsStream, SummaryBuilder } from './results/results.js';
import { BUILTIN_PACK_DIR, loadRulePacks, type RulePack } from './rules/load-rules.js';
import { coveredBy } from './snapshot/coverage.js';
import { loadSnapshots } from './snapshot/load-snapshot.js';
import { SnapshotSet } from './snapshot/snapshot-set.js';
import type { LoadedSnapshot } from './snapshot/types.js';
import { loadWaivers, type Waiver, WaiverSet } from './waivers/waivers.js';

/** trailguard's version (package.json), recorded in every results document. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

/** What a check reads and how it judges: the snapshots, rule packs, parameters, waivers and fail thresholds. */
export interface CheckRequest {
  /** Snapshot files, or snapshots already in memory (`inMemorySnapshot`). */
  readonly snapshots: readonly (string | LoadedSnapshot)[];
  /**
   * For inputs that are CloudFormation templates or Terraform plans (told from their content): the account and
   * Region a template is resolved for, its parameter values and stack name.
   */
  readonly imports?: ImportOptions;
  /** Extra rule packs (folders or files). */
  readonly rules?: readonly string[];
  /** Run the built-in pack too (default: only when no other pack is given). */
  readonly builtIn?: boolean;
  /** A YAML file of rule parameter values (`{ <rule-id>: { <param>: value } }`). */
  readonly params?: string | undefined;
  /** Let a pack's files be symbolic links out of it (they are refused otherwise). */
  readonly allowOutsidePack?: boolean;
  readonly failOn?: Severity;
  readonly failOnUnknown?: boolean;
  /** A waivers file (YAML list of `{rule, resource, reason, owner, expires}`). */
  readonly waivers?: string | undefined;
  /** The time of the run: the results record it and waivers expire by it. */
  readonly now?: Date;
  /**
   * Worker threads to evaluate with (default 1: the main thread alone). The results are the same bytes whatever the
   * number; see docs/performance.md for when more pay off.
   */
  readonly jobs?: number;
}

/** A check ready to run: the results' head, and the findings, produced lazily so they can be streamed out. */
export interface PreparedCheck {
  readonly head: ResultsHead;
  /** The run as a results stream: findings counted and their documents gathered as they pass. */
  stream(): ResultsStream;
}

/** What a run reads: snapshots, rule packs (with parameter values) and waivers. */
export type RunInputs = Pick<CheckRequest, 'snapshots' | 'imports' | 'rules' | 'builtIn' | 'params' | 'allowOutsidePack' | 'waivers'>;

/** Loads a run's inputs, reporting the problems of all of them together. */
export async function loadRunInputs(
  request: RunInputs,
): Promise<{ snapshots: LoadedSnapshot[]; packs: RulePack[]; waivers: Waiver[] | undefined }> {
  const [snapshots, packs, waivers] = await Promise.allSettled([
    importInputs(request.snapshots, request.imports ?? {}).then(loadSnapshots),
    loadRulePacks(packPaths(request), { params: request.params, allowOutsidePack: request.allowOutsidePack === true }),
    request.waivers === undefined ? Promise.resolve(undefined) : loadWaivers(request.waivers),
  ]);
  const failure = combineErrors([snapshots, packs, waivers].flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
  if (failure !== undefined) throw failure;
  return {
    snapshots: (snapshots as PromiseFulfilledResult<LoadedSnapshot[]>).value,
    packs: (packs as PromiseFulfilledResult<RulePack[]>).value,
    waivers: (waivers as PromiseFulfilledResult<Waiver[] | undefined>).value,
  };
}

/** The rule packs a run loads: the built-in pack (unless other packs are given alone), then the others. */
function packPaths(request: Pick<CheckRequest, 'rules' | 'builtIn'>): string[] {
  const extra = request.rules ?? [];
  return [...((request.builtIn ?? extra.length === 0) ? [BUILTIN_PACK_DIR] : []), ...extra];
}

/**
 * Loads the snapshots, rule packs and waivers and prepares the run. Nothing is evaluated until the stream's
 * findings are iterated.
 */
export async function prepareCheck(request: CheckRequest): Promise<PreparedCheck> {
  const { snapshots: loaded, packs: rulePacks, waivers } = await loadRunInputs(request);
  const now = request.now ?? new Date();
  const set = new SnapshotSet(loaded);
  const rules = rulePacks.flatMap((p) => p.rules);
  const inputs = loaded.map((snapshot) => inputInfo(snapshot, (error) => coveredBy(error, snapshot.path, set)));
  const gaps = coverageFindings(inputs);
  const head: ResultsHead = {
    resultsVersion: RESULTS_VERSION,
    tool: { name: 'trailguard', version: TOOL_VERSION },
    generatedAt: now.toISOString(),
    failOn: request.failOn ?? 'info',
    failOnUnknown: request.failOnUnknown ?? false,
    packs: rulePacks.map(({ name, version, source }) => ({ name, version, source })),
    rules: [...(gaps.length > 0 ? [COVERAGE_RULE] : []), ...rules.map((r) => r.info)],
    inputs,
  };
  const ruleIds = new Set(head.rules.map((r) => r.id));
  return {
    head,
    stream() {
      const documents: Documents = new Map();
      const summary = new SummaryBuilder(head);
      const waived = waivers === undefined ? undefined : new WaiverSet(waivers, now, ruleIds);
      function* counted() {
        const jobs = request.jobs ?? 1;
        const findings =
          jobs > 1
            ? evaluateInWorkers(rules, set, documents, jobs, {
                packs: packPaths(request),
                params: request.params,
                allowOutsidePack: request.allowOutsidePack === true,
              })
            : evaluateRules(rules, set, documents);
        const located = set.snapshots.some((s) => s.document.locations !== undefined);
        for (const evaluated of chain(gaps, findings)) {
          const placed = located ? withLocation(onUnsettledResource(evaluated), set) : evaluated;
          const finding = waived === undefined ? placed : waived.apply(placed);
          summary.add(finding);
          yield finding;
        }
      }
      return {
        head,
        findings: counted(),
        tail: () => ({
          documents: Object.fromEntries(documents),
          ...(waived === undefined ? {} : { waivers: waived.outcomes() }),
          summary: summary.summary(),
        }),
      };
    },
  };
}

/**
 * A finding on a resource imported from a template or plan, with the line to change: a policy rule's finding points
 * at the key policy it judged (where a fix goes, and what code scanning annotates), any other at the resource.
 */
export function withLocation(finding: Finding, set: SnapshotSet): Finding {
  const policyKey = finding.evidence.assertions?.find((a) => a.details !== undefined && a.document !== undefined)?.document;
  const key = policyKey === undefined ? undefined : set.location(policyKey);
  if (key !== undefined) {
    const location = {
      file: key.file,
      line: key.policy?.line ?? key.line,
      column: key.policy?.column ?? key.column,
      resource: key.resource,
    };
    const change =
      key.policy === undefined
        ? 'give it a KeyPolicy there (it declares none: KMS gave it the default policy) that keeps the default statement and adds this one'
        : 'add the statement to its KeyPolicy there';
    // A key a template declares changes with the template: put-key-policy would be undone by the next deployment.
    const fix =
      finding.fix === undefined || finding.fix.statement === undefined
        ? finding.fix
        : {
            summary: `${finding.fix.summary} The key is declared in ${key.file}:${key.line} (${key.resource}): ${change} (trailguard fix writes the change as a patch of the file).`,
            statement: finding.fix.statement,
            ...(finding.fix.document === undefined ? {} : { document: finding.fix.document }),
          };
    return { ...finding, location, ...(fix === undefined ? {} : { fix }) };
  }
  const own = set.location(finding.resource.id);
  if (own === undefined) return finding;
  return { ...finding, location: { file: own.file, line: own.line, column: own.column, resource: own.resource } };
}

/**
 * A policy verdict on a trail whose name an imported template does not settle (its ARN holds an unresolved marker)
 * is unknown: CloudTrail's requests carry the trail's ARN, which the policy's conditions may name.
 */
export function onUnsettledResource(finding: Finding): Finding {
  const name = unresolvedIn(finding.resource.id);
  if (name === undefined || (finding.status !== 'pass' && finding.status !== 'fail')) return finding;
  if (!finding.evidence.assertions?.some((a) => a.details !== undefined)) return finding;
  const { fix: _fix, ...rest } = finding;
  return {
    ...rest,
    status: 'unknown',
    message: `Trail ${finding.resource.name ?? finding.resource.id}: cannot judge the key policy before deployment: the trail's name is ${name}, which the template does not settle, and CloudTrail's requests carry the trail's ARN (with a name for it, the policy ${finding.status === 'pass' ? 'passes' : 'fails'}: ${finding.message})`,
  };
}

function* chain<T>(...lists: readonly Iterable<T>[]): Generator<T> {
  for (const list of lists) yield* list;
}
