import { readFileSync } from 'node:fs';
import { combineErrors } from './errors.js';
import { type Documents, evaluateRules } from './evaluate/evaluate-rule.js';
import type { Finding, Severity } from './model.js';
import { packagePath } from './package-root.js';
import { inputInfo, RESULTS_VERSION, type ResultsHead, type ResultsStream, SummaryBuilder } from './results/results.js';
import { BUILTIN_PACK_DIR, loadRulePacks, type RulePack } from './rules/load-rules.js';
import { coveredBy } from './snapshot/coverage.js';
import { loadSnapshots } from './snapshot/load-snapshot.js';
import { SnapshotSet } from './snapshot/snapshot-set.js';

export const TOOL_VERSION: string = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

export interface CheckRequest {
  readonly snapshots: readonly string[];
  /** Extra rule packs (folders or files). */
  readonly rules?: readonly string[];
  /** Run the built-in pack too (default: only when no other pack is given). */
  readonly builtIn?: boolean;
  /** A YAML file of rule parameter values (`{ <rule-id>: { <param>: value } }`). */
  readonly params?: string | undefined;
  readonly failOn?: Severity;
  readonly failOnUnknown?: boolean;
  readonly now?: Date;
}

/** A check ready to run: the results' head, and the findings, produced lazily so they can be streamed out. */
export interface PreparedCheck {
  readonly head: ResultsHead;
  findings(documents?: Documents): Generator<Finding>;
  /** The run as a results stream: findings counted and their documents gathered as they pass. */
  stream(): ResultsStream;
}

/**
 * Loads the snapshots and rule packs (reporting the problems of all of them together) and prepares the run.
 * Nothing is evaluated until `findings()` is iterated.
 */
export async function prepareCheck(request: CheckRequest): Promise<PreparedCheck> {
  const extra = request.rules ?? [];
  const packPaths = [...((request.builtIn ?? extra.length === 0) ? [BUILTIN_PACK_DIR] : []), ...extra];
  const [snapshots, packs] = await Promise.allSettled([
    loadSnapshots(request.snapshots),
    loadRulePacks(packPaths, { params: request.params }),
  ]);
  const failure = combineErrors([snapshots, packs].flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
  if (failure !== undefined) throw failure;
  const loaded = (snapshots as PromiseFulfilledResult<Awaited<ReturnType<typeof loadSnapshots>>>).value;
  const rulePacks = (packs as PromiseFulfilledResult<RulePack[]>).value;
  const set = new SnapshotSet(loaded);
  const rules = rulePacks.flatMap((p) => p.rules);
  const head: ResultsHead = {
    resultsVersion: RESULTS_VERSION,
    tool: { name: 'trailguard', version: TOOL_VERSION },
    generatedAt: (request.now ?? new Date()).toISOString(),
    failOn: request.failOn ?? 'info',
    failOnUnknown: request.failOnUnknown ?? false,
    packs: rulePacks.map(({ name, version, source }) => ({ name, version, source })),
    rules: rules.map((r) => r.info),
    inputs: loaded.map((snapshot) => inputInfo(snapshot, (error) => coveredBy(error, snapshot.path, set))),
  };
  const findings = (documents: Documents = new Map()) => evaluateRules(rules, set, documents);
  return {
    head,
    findings,
    stream() {
      const documents: Documents = new Map();
      const summary = new SummaryBuilder(head);
      function* counted() {
        for (const finding of findings(documents)) {
          summary.add(finding);
          yield finding;
        }
      }
      return { head, findings: counted(), tail: () => ({ documents: Object.fromEntries(documents), summary: summary.summary() }) };
    },
  };
}
