import type { Argv } from 'yargs';
import {
  type Explanation,
  explain,
  jsonSafe,
  type RequestTrace,
  type StepTrace,
  statementLabel,
  TrailguardError,
  terminalSafeLines,
} from '../engine/index.js';
import { type ImportArgs, importOptions, importSettings } from './import-options.js';
import { type RuleArgs, ruleOptions } from './rule-options.js';
import { prepareOutput, writeOutput } from './write-output.js';

export interface ExplainArgs extends RuleArgs, ImportArgs {
  readonly snapshots: readonly string[];
  readonly rule: string;
  readonly resource: string;
  readonly format: string;
  readonly out: string | undefined;
}

export function explainBuilder(yargs: Argv): Argv<ExplainArgs> {
  return importOptions(ruleOptions(yargs))
    .positional('snapshots', { type: 'string', array: true, describe: 'snapshot files, templates or plans, as given to check' })
    .option('rule', { type: 'string', demandOption: true, describe: 'the rule id' })
    .option('resource', { type: 'string', demandOption: true, describe: "the resource's id (a trail ARN) or its name" })
    .option('format', { type: 'string', default: 'text', describe: 'text (for people) or json (the whole trace)' })
    .option('out', {
      type: 'string',
      describe: 'write to this file (atomically) instead of standard output',
    }) as unknown as Argv<ExplainArgs>;
}

/** `trailguard explain`: the evaluation trace of one finding. Exit 0 once explained, whatever the verdict. */
export async function runExplain(args: ExplainArgs): Promise<number> {
  if (args.format !== 'text' && args.format !== 'json') {
    throw new TrailguardError({ code: 'usage', message: `unknown --format ${JSON.stringify(args.format)}: expected text or json` });
  }
  if (args.snapshots.length === 0) throw new TrailguardError({ code: 'usage', message: 'explain needs at least one snapshot file' });
  const target = await prepareOutput(args.out, [...args.snapshots, ...args.rules, ...(args.params === undefined ? [] : [args.params])]);
  const explanation = await explain({
    snapshots: args.snapshots,
    imports: await importSettings(args),
    rules: args.rules,
    builtIn: args.builtin,
    params: args.params,
    allowOutsidePack: args.allowOutsidePack,
    rule: args.rule,
    resource: args.resource,
  });
  const text = args.format === 'json' ? jsonSafe(jsonText(explanation)) : terminalSafeLines(explainText(explanation));
  await writeOutput([text], target);
  return 0;
}

/** The trace for people: the finding, each binding, then each condition and assertion with what it read and why. */
export function explainText(e: Explanation): string {
  const lines: string[] = [];
  const r = e.resource;
  lines.push(`${e.rule.id} on ${r.name ?? r.id}`);
  lines.push(`  rule      ${e.rule.title} (${e.rule.file})`);
  lines.push(`  resource  ${r.id} (${r.type}, account ${r.account}${r.region === '' ? '' : `, ${r.region}`})`);
  lines.push(`  snapshot  ${r.snapshot}`);
  lines.push(`  verdict   ${e.finding.status}: ${e.finding.message}`);
  if (e.finding.evidence.error !== undefined) lines.push(`  error     ${e.finding.evidence.error}`);
  if (e.bindings.length > 0) {
    lines.push('', 'bindings');
    const width = Math.max(...e.bindings.map((b) => b.name.length));
    for (const b of e.bindings) {
      lines.push(`  ${b.name.padEnd(width)} = ${b.resolved ? (lookedUp(b.value) ?? brief(b.value)) : `unresolved: ${b.reason}`}`);
    }
  }
  for (const step of e.steps) lines.push('', ...stepLines(step));
  if (e.steps.length === 0 && e.finding.status === 'error') lines.push('', 'the rule stopped before its assertions ran');
  return `${lines.join('\n')}\n`;
}

function stepLines(step: StepTrace): string[] {
  const quantifier = typeof step.quantifier === 'string' ? step.quantifier : `count ${JSON.stringify(step.quantifier)}`;
  const out = [`${step.kind}[${step.index}] ${step.path} ${step.op} (${quantifier}) → ${step.evidence.status}`];
  if (step.values === null) out.push('  selected  nothing: its binding did not resolve');
  else if (step.values.length === 0) out.push('  selected  no value');
  else out.push(...step.values.map((v, i) => `  ${i === 0 ? 'selected ' : '         '} ${brief(v)}`));
  out.push(`  reason    ${step.evidence.reason}`);
  // A policy query's answer: everyone the policy grants the request to, and what still constrains each grant.
  const details = step.evidence.details;
  if (details !== undefined && 'grantees' in details) {
    const refused = new Set(details.violations ?? []);
    if (details.grantees.length === 0) out.push('  grantees  none');
    for (const [i, g] of details.grantees.entries()) {
      const by = g.allowedBy.map(statementLabel).join(' and ');
      const when = g.conditions === undefined ? '' : `, when ${g.conditions.join(' and ')}`;
      const verdict = `${g.status}${refused.has(g.who) ? ', not accepted' : ''}`;
      out.push(`  ${i === 0 ? 'grantees' : '        '}  ${g.who} (${verdict}) by ${by}${when}`);
    }
  }
  for (const request of step.requests) out.push(...requestLines(request));
  return out;
}

function requestLines(r: RequestTrace): string[] {
  const out = [`  ${r.label}: ${r.caller} calls ${r.action} on ${r.resource} → ${r.decision}`];
  // Each context value with where it came from: the rule, or the catalogue (engine/iam/context-keys.json) and its source.
  const context = Object.entries(r.context);
  const assumed = new Set(Object.keys(r.assumed ?? {}));
  for (const [i, [k, v]] of context.entries()) {
    const origin = assumed.has(k) ? 'not recorded: a value tried for it' : (originOf(r, k) ?? 'the rule');
    out.push(`    ${i === 0 ? 'context' : '       '}   ${k} = ${typeof v === 'string' ? v : `[${v.join(', ')}]`}  ← ${origin}`);
  }
  const read = new Set(r.statements.flatMap((s) => s.conditions.map((c) => c.key.toLowerCase())));
  for (const k of read) {
    if (Object.hasOwn(r.context, k)) continue;
    const origin = assumed.has(k)
      ? 'not recorded: absence is one of the cases tried'
      : (originOf(r, k) ?? 'neither the rule nor the catalogue gives it');
    out.push(`    absent    ${k}  ← ${origin}`);
  }
  for (const s of r.statements) {
    const name = statementLabel(s);
    out.push(`    ${name} ${s.effect}: ${s.applies ? 'applies' : 'does not apply'}`);
    for (const problem of s.problems) out.push(`      ✗ invalid    ${problem}`);
    out.push(`      ${mark(s.principal.ok)} principal  ${s.principal.detail}`);
    out.push(`      ${mark(s.action.ok)} action     ${s.action.detail}`);
    out.push(`      ${mark(s.resource.ok)} resource   ${s.resource.detail}`);
    for (const c of s.conditions) {
      const has = c.requestValues === null ? 'the request has none' : `the request has ${c.requestValues.join(', ')}`;
      out.push(`      ${mark(c.ok)} condition  ${c.operator} ${c.key} ${c.values.join(', ')}: ${has}`);
    }
  }
  return out;
}

/** Where a context key's value came from; a tag key's from its prefix's entry (`aws:resourcetag/`). */
function originOf(r: RequestTrace, key: string): string | undefined {
  const origins = r.origins ?? {};
  if (Object.hasOwn(origins, key)) return origins[key];
  const prefix = Object.keys(origins).find((k) => (k.endsWith('/') || k.endsWith(':')) && key.startsWith(k));
  return prefix === undefined ? undefined : origins[prefix];
}

/** A looked-up document (a KMS key) in words: which one, from which snapshot, and what it holds. */
function lookedUp(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as { arn?: unknown; snapshot?: unknown; policy?: unknown; metadata?: unknown; error?: unknown };
  if (typeof v.arn !== 'string' || typeof v.snapshot !== 'string') return undefined;
  const statements = (v.policy as { Statement?: unknown } | null)?.Statement;
  const policy =
    v.policy === null || v.policy === undefined
      ? 'no policy'
      : `a policy of ${Array.isArray(statements) ? statements.length : 1} statement${Array.isArray(statements) && statements.length === 1 ? '' : 's'}`;
  const state = (v.metadata as { KeyState?: unknown } | null)?.KeyState;
  const error = v.error as { operation?: unknown; code?: unknown } | null;
  const parts = [policy, typeof state === 'string' ? `state ${state}` : 'no metadata'];
  if (error !== null && error !== undefined) parts.push(`${String(error.operation)} failed: ${String(error.code)}`);
  return `${v.arn} (from ${v.snapshot}): ${parts.join(', ')}`;
}

function mark(ok: boolean): string {
  return ok ? '✓' : '✗';
}

function jsonText(explanation: Explanation): string {
  try {
    return `${JSON.stringify(explanation, null, 2)}\n`;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new TrailguardError({
      code: 'output',
      message: 'the trace holds a value nested too deeply to write as JSON: use --format text, which shortens values',
    });
  }
}

/** A value on one line: JSON, cut at 300 characters (the JSON format has it all). */
function brief(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'undefined';
  } catch (error) {
    if (error instanceof RangeError) return '(a value nested too deeply to show)';
    throw error;
  }
  return text.length <= 300 ? text : `${text.slice(0, 300)}… (${text.length} characters; --format json shows all)`;
}
