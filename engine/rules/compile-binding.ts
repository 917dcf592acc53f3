import { parseArn } from '../core/arn.js';
import { didYouMean } from '../core/suggest.js';
import { UNRESOLVED_ERROR } from '../core/unresolved.js';
import { describeFailure } from '../snapshot/resolve-key.js';
import type { Template } from '../template/template.js';
import type { BindingOutcome, CompiledBinding, EvaluationState, Target } from './compiled-rule.js';
import { entryLookup, LOOKUP_NAMES, LOOKUPS, type LookupDefinition } from './lookups.js';
import { readTarget } from './read-target.js';
import { isObject, type RuleCompiler } from './rule-compiler.js';

const KINDS = ['path', 'arn', 'template', 'join', 'lookup'] as const;
const ARGS: Readonly<Record<string, readonly string[]>> = {
  join: ['with'],
  lookup: ['of', 'in', 'region', 'account', 'partition', 'require'],
};

type Evaluate = CompiledBinding['evaluate'];

/** Compiles paths and templates for one binding, remembering which names they read. */
class BindingParts {
  readonly reads = new Set<string>();

  constructor(
    private readonly compiler: RuleCompiler,
    private readonly pointer: string,
    private readonly known: ReadonlySet<string>,
  ) {}

  target(key: string, text: unknown): Target | undefined {
    const target = this.compiler.target(String(text), `${this.pointer}/${key}`, this.known);
    this.reads.add(target?.root ?? 'resource');
    return target;
  }

  template(key: string, text: unknown): Template {
    const template = this.compiler.template(String(text), `${this.pointer}/${key}`, this.known);
    for (const root of template.roots) this.reads.add(root);
    return template;
  }
}

/**
 * Compiles one `let` binding; `undefined` (with diagnostics) when it is malformed. `signatures` holds those of the
 * bindings defined before it, so the signature covers everything the value depends on.
 */
export function compileBinding(
  compiler: RuleCompiler,
  name: string,
  raw: unknown,
  pointer: string,
  known: ReadonlySet<string>,
  signatures: ReadonlyMap<string, string>,
): CompiledBinding | undefined {
  if (!isObject(raw)) return undefined;
  const kinds = KINDS.filter((k) => raw[k] !== undefined);
  if (kinds.length !== 1) {
    compiler.error(
      'rule-schema',
      pointer,
      `binding ${name} needs exactly one of ${KINDS.join(', ')}, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    );
    return undefined;
  }
  const kind = kinds[0] as (typeof KINDS)[number];
  for (const arg of Object.keys(raw)) {
    if (arg !== kind && !(ARGS[kind] ?? []).includes(arg))
      compiler.error('rule-schema', `${pointer}/${arg}`, `${arg} does not go with ${kind} in binding ${name}`, true);
  }
  const parts = new BindingParts(compiler, pointer, known);
  const evaluate = compileKind(compiler, kind, name, raw, pointer, parts);
  if (evaluate === undefined) return undefined;
  const deps = [...parts.reads].sort().map((root) => [root, signatures.get(root) ?? root]);
  return { name, isLookup: kind === 'lookup', signature: JSON.stringify([raw, deps]), evaluate };
}

function compileKind(
  compiler: RuleCompiler,
  kind: (typeof KINDS)[number],
  name: string,
  raw: Record<string, unknown>,
  pointer: string,
  parts: BindingParts,
): Evaluate | undefined {
  switch (kind) {
    case 'path': {
      const target = parts.target('path', raw.path);
      return target && ((state) => firstValue(state, target, (v) => ({ ok: true, value: v })));
    }
    case 'arn': {
      const target = parts.target('arn', raw.arn);
      return target && ((state) => firstValue(state, target, arnOutcome));
    }
    case 'template': {
      const template = parts.template('template', raw.template);
      return (state) => ({ ok: true, value: template.render(state.scope) });
    }
    case 'join': {
      // The schema has already reported a join that is not a list; compile what there is.
      const pieces = (Array.isArray(raw.join) ? raw.join : []).map((p, i) => parts.template(`join/${i}`, p));
      const separator = typeof raw.with === 'string' ? raw.with : '';
      return (state) => ({
        ok: true,
        value: pieces
          .map((p) => p.render(state.scope))
          .filter((p) => p !== '')
          .join(separator),
      });
    }
    case 'lookup':
      return compileLookup(compiler, name, raw, pointer, parts);
  }
}

function compileLookup(
  compiler: RuleCompiler,
  name: string,
  raw: Record<string, unknown>,
  pointer: string,
  parts: BindingParts,
): Evaluate | undefined {
  const lookup = lookupFor(compiler, name, raw, pointer);
  if (lookup === undefined) return undefined;
  if (typeof raw.of !== 'string') {
    compiler.error('rule-schema', pointer, `lookup binding ${name} needs of: the path of the value to look up`);
    return undefined;
  }
  const target = parts.target('of', raw.of);
  const arg = (key: string) => (typeof raw[key] === 'string' ? parts.template(key, raw[key]) : undefined);
  const region = arg('region');
  const account = arg('account');
  const partition = arg('partition');
  const required = Array.isArray(raw.require) ? raw.require.map(String) : [];
  if (target === undefined) return undefined;
  return (state) =>
    firstValue(state, target, (reference) => {
      const args = {
        region: region?.render(state.scope) ?? state.resource.region,
        account: account?.render(state.scope) ?? state.resource.account,
        partition: partition?.render(state.scope) || state.snapshot.document.account.partition,
      };
      const outcome = lookup.resolve(reference, args, state.set);
      if (!outcome.found) return { ok: false, reason: outcome.reason };
      const missing = missingField(outcome.value, required);
      if (missing !== undefined) return { ok: false, reason: missingReason(missing, outcome.id, outcome.value, lookup, state) };
      return { ok: true, value: outcome.value, id: outcome.id };
    });
}

/** The lookup a binding names: a fixed one, or `entry` of the collection its `in` selects in every snapshot. */
function lookupFor(compiler: RuleCompiler, name: string, raw: Record<string, unknown>, pointer: string): LookupDefinition | undefined {
  const kind = String(raw.lookup);
  if (kind !== 'entry') {
    if (raw.in !== undefined) compiler.error('rule-schema', `${pointer}/in`, `in goes with lookup: entry, not with lookup: ${kind}`, true);
    const fixed = LOOKUPS.get(kind);
    if (fixed === undefined)
      compiler.error(
        'unknown-lookup',
        `${pointer}/lookup`,
        `unknown lookup ${JSON.stringify(raw.lookup)}${didYouMean(kind, LOOKUP_NAMES)}: valid lookups are ${LOOKUP_NAMES.join(', ')}`,
      );
    return fixed;
  }
  const text = raw.in;
  const match = typeof text === 'string' ? /^snapshot((?:\.|\[).*)$/s.exec(text) : null;
  if (match === null) {
    compiler.error(
      'rule-schema',
      `${pointer}${raw.in === undefined ? '' : '/in'}`,
      `lookup binding ${name} needs in: the collection to look in, a path into each snapshot such as snapshot.trailStatus, found ${JSON.stringify(text ?? null)}`,
    );
    return undefined;
  }
  const path = compiler.path(`$${match[1]}`, `${pointer}/in`);
  return path && entryLookup(path, String(text).slice('snapshot.'.length) || String(text));
}

function firstValue(state: EvaluationState, target: Target, then: (value: unknown) => BindingOutcome): BindingOutcome {
  const read = readTarget(state, target);
  if (!read.ok) return read;
  return then(read.values[0]);
}

/** The first required field (a name, or a dotted path such as `metadata.KeyState`) that the value lacks. */
function missingField(value: unknown, fields: readonly string[]): string | undefined {
  return fields.find((field) => {
    let at: unknown = value;
    for (const step of field.split('.')) {
      if (at === null || typeof at !== 'object' || !Object.hasOwn(at, step)) return true;
      at = (at as Record<string, unknown>)[step];
    }
    return at === null || at === undefined;
  });
}

/**
 * Why a required field is missing: the call that reads it failed (with the failure the snapshot recorded), or the
 * record does not hold it, naming the call that would have read it.
 */
function missingReason(field: string, id: string, value: unknown, lookup: LookupDefinition, state: EvaluationState): string {
  const dot = field.indexOf('.');
  const top = dot < 0 ? field : field.slice(0, dot);
  const call = lookup.calls[top] ?? lookup.calls[''];
  const parent = field.slice(0, field.lastIndexOf('.'));
  if (dot >= 0 && missingField(value, [parent]) === undefined)
    return `the ${parent} of ${id} does not record ${field.slice(parent.length + 1)}, so it cannot be judged`;
  const missing = dot < 0 ? field : missingField(value, [top]) === undefined ? parent : top;
  const own = (value as { error?: { operation?: string; code?: string; message?: string } | null } | null)?.error;
  // An imported template or plan that does not settle the field says what it is and what would settle it.
  if (own?.code === UNRESOLVED_ERROR) return `the ${missing} of ${id} is not settled before deployment: ${own.message ?? ''}`;
  // The document's own recorded error explains a field its call would have read, or any field when the document
  // itself could not be read (a failed DescribeKey leaves the policy unread too).
  const failure =
    own !== null &&
    own !== undefined &&
    own.operation !== undefined &&
    (call === undefined || own.operation === call || own.operation === lookup.calls[''])
      ? { operation: own.operation, code: own.code ?? 'error', message: own.message ?? '' }
      : state.set.failures(id, call === undefined ? undefined : [call])[0];
  if (failure !== undefined) return `the ${missing} of ${id} was not collected (${describeFailure(failure)})`;
  return `the ${missing} of ${id} is not in the snapshot${call === undefined ? '' : ` (${call} would have read it)`}`;
}

function arnOutcome(value: unknown): BindingOutcome {
  const arn = typeof value === 'string' ? parseArn(value) : undefined;
  if (arn === undefined) return { ok: false, reason: `${JSON.stringify(value ?? null)} is not an ARN` };
  return { ok: true, value: { text: value, ...arn } };
}
