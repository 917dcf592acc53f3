import { TrailguardError } from '../core/errors.js';
import { groupBy } from '../core/group-by.js';
import type { Finding, Status } from '../core/model.js';
import { PatternIndex } from '../core/pattern-index.js';
import { compileWildcard, type WildcardMatcher } from '../core/wildcard.js';
import { readYamlFile, schemaProblems } from '../input/documents.js';

/** One recorded exception, as written in the waivers file. */
export interface Waiver {
  readonly rule: string;
  /** A resource id, exactly or as a glob. */
  readonly resource: string;
  readonly reason: string;
  readonly owner: string;
  /** YYYY-MM-DD: the last day (UTC) the waiver applies. */
  readonly expires: string;
  /** Where it is written: `file:line:col`. */
  readonly at: string;
}

export type WaiverState = 'applied' | 'expired' | 'unused';

/** What became of a waiver in a run: recorded in the results so an auditor sees every exception, used or not. */
export interface WaiverOutcome extends Waiver {
  readonly state: WaiverState;
  /** The findings it waived (applied), or would have waived (expired). */
  readonly findings: number;
  /** Why it was not used, or what it waived, in words. */
  readonly note: string;
}

/** The statuses a waiver sets aside: a failure, or a verdict the snapshots could not decide. Errors are bugs to fix. */
const WAIVABLE: ReadonlySet<Status> = new Set(['fail', 'unknown']);

/** Reads a waivers file: a YAML list of `{rule, resource, reason, owner, expires}`, every problem located. */
export async function loadWaivers(file: string): Promise<Waiver[]> {
  const parsed = await readYamlFile(file, 'waivers file', file);
  if (parsed.source === undefined) throw new TrailguardError(parsed.diagnostics);
  const source = parsed.source;
  const data = source.data ?? [];
  const problems = schemaProblems('waivers-v1.schema.json', { file, data, locate: source.locate }, 'waivers');
  if (problems.length > 0) throw new TrailguardError(problems);
  return (data as Omit<Waiver, 'at'>[]).map((w, i) => {
    const { line, column } = source.locate(`/${i}`);
    return { rule: w.rule, resource: w.resource, reason: w.reason, owner: w.owner, expires: w.expires, at: `${file}:${line}:${column}` };
  });
}

interface Active {
  readonly waiver: Waiver;
  readonly expired: boolean;
  readonly matches: WildcardMatcher;
  /** Findings it applied to (or would have, when expired). */
  count: number;
  /** Findings it matched whose status needed no waiver (pass, skip) or cannot take one (error). */
  matchedOther: number;
}

/**
 * Applies waivers to findings as they stream past: a matching, unexpired waiver turns a fail or unknown finding into
 * `waived`, keeping the verdict it set aside and the waiver in the evidence. `outcomes()` then says what became of
 * each waiver: applied, expired (it does not apply) or unused.
 */
export class WaiverSet {
  private readonly waivers: Active[];
  /** The waivers of each rule, indexed so a finding is compared only with those that may match it. */
  private readonly byRule: Map<string, PatternIndex<Active>>;

  constructor(
    waivers: readonly Waiver[],
    now: Date,
    private readonly ruleIds: ReadonlySet<string>,
  ) {
    const today = now.toISOString().slice(0, 10);
    this.waivers = waivers.map((waiver) => ({
      waiver,
      expired: waiver.expires < today,
      matches: compileWildcard(waiver.resource),
      count: 0,
      matchedOther: 0,
    }));
    this.byRule = new Map(
      [...groupBy(this.waivers, (active) => active.waiver.rule)].map(([rule, list]) => [
        rule,
        new PatternIndex(list, (a) => a.waiver.resource),
      ]),
    );
  }

  apply(finding: Finding): Finding {
    let expired: Active | undefined;
    for (const active of this.byRule.get(finding.ruleId)?.candidates(finding.resource.id) ?? []) {
      if (!active.matches(finding.resource.id)) continue;
      if (!WAIVABLE.has(finding.status)) {
        active.matchedOther++;
        continue;
      }
      if (active.expired) {
        expired ??= active;
        continue;
      }
      active.count++;
      const { reason, owner, expires, resource } = active.waiver;
      return {
        ...finding,
        status: 'waived',
        evidence: { ...finding.evidence, waiver: { reason, owner, expires, resource, status: finding.status } },
      };
    }
    if (expired !== undefined) expired.count++;
    return finding;
  }

  outcomes(): WaiverOutcome[] {
    return this.waivers.map(({ waiver, expired, count, matchedOther }) => {
      const findings = count;
      if (expired) {
        const would =
          count === 0
            ? 'it would have waived nothing'
            : count === 1
              ? 'the finding it matches is not waived'
              : `the ${count} findings it matches are not waived`;
        return { ...waiver, state: 'expired', findings, note: `it ended on ${waiver.expires}; ${would}` };
      }
      if (count > 0) return { ...waiver, state: 'applied', findings, note: `waived ${count} finding${count === 1 ? '' : 's'}` };
      const why = !this.ruleIds.has(waiver.rule)
        ? `no rule ${waiver.rule} ran`
        : matchedOther > 0
          ? `the ${matchedOther === 1 ? 'finding' : 'findings'} it matches did not fail (fixed? remove the waiver)`
          : 'it matches no finding';
      return { ...waiver, state: 'unused', findings: 0, note: why };
    });
  }
}
