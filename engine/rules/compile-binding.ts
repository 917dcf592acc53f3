import { parseArn } from '../arn.js';
import type { BindingOutcome, CompiledBinding, EvaluationState, Target } from './compiled-rule.js';
import { LOOKUPS } from './lookups.js';
import { readTarget } from './read-target.js';
import { isObject, type RuleCompiler } from './rule-compiler.js';
import type { Template } from './template.js';

const KINDS = ['path', 'arn', 'template', 'join', 'lookup'] as const;
const ARGS: Readonly<Record<string, readonly string[]>> = { join: ['with'], lookup: ['of', 'region', 'account', 'partition', 'require'] };

/** Compiles one `let` binding; `undefined` (with diagnostics) when it is malformed. */
export function compileBinding(
  compiler: RuleCompiler,
  name: string,
  raw: unknown,
  pointer: string,
  known: ReadonlySet<string>,
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
  const at = (key: string) => `${pointer}/${key}`;
  switch (kind) {
    case 'path': {
      const target = compiler.target(String(raw.path), at('path'), known);
      return target && { name, isLookup: false, evaluate: (state) => firstValue(state, target, (v) => ({ ok: true, value: v })) };
    }
    case 'arn': {
      const target = compiler.target(String(raw.arn), at('arn'), known);
      return target && { name, isLookup: false, evaluate: (state) => firstValue(state, target, arnOutcome) };
    }
    case 'template': {
      const template = compiler.template(String(raw.template), at('template'), known);
      return { name, isLookup: false, evaluate: (state) => ({ ok: true, value: template.render(state.scope) }) };
    }
    case 'join': {
      const parts = (raw.join as unknown[]).map((p, i) => compiler.template(String(p), at(`join/${i}`), known));
      const separator = typeof raw.with === 'string' ? raw.with : '';
      const join = (state: EvaluationState) =>
        parts
          .map((p) => p.render(state.scope))
          .filter((p) => p !== '')
          .join(separator);
      return { name, isLookup: false, evaluate: (state) => ({ ok: true, value: join(state) }) };
    }
    case 'lookup':
      return compileLookup(compiler, name, raw, pointer, known);
  }
}

function compileLookup(
  compiler: RuleCompiler,
  name: string,
  raw: Record<string, unknown>,
  pointer: string,
  known: ReadonlySet<string>,
): CompiledBinding | undefined {
  const lookup = LOOKUPS.get(String(raw.lookup));
  if (lookup === undefined) {
    compiler.error(
      'unknown-lookup',
      `${pointer}/lookup`,
      `unknown lookup ${JSON.stringify(raw.lookup)}: valid lookups are ${[...LOOKUPS.keys()].join(', ')}`,
    );
    return undefined;
  }
  if (typeof raw.of !== 'string') {
    compiler.error('rule-schema', pointer, `lookup binding ${name} needs of: the path of the value to look up`);
    return undefined;
  }
  const target = compiler.target(raw.of, `${pointer}/of`, known);
  const arg = (key: string): Template | undefined =>
    typeof raw[key] === 'string' ? compiler.template(raw[key] as string, `${pointer}/${key}`, known) : undefined;
  const region = arg('region');
  const account = arg('account');
  const partition = arg('partition');
  const required = Array.isArray(raw.require) ? raw.require.map(String) : [];
  if (target === undefined) return undefined;
  return {
    name,
    isLookup: true,
    evaluate(state) {
      return firstValue(state, target, (reference) => {
        const outcome = lookup.resolve(
          reference,
          {
            region: region?.render(state.scope) ?? state.resource.region,
            account: account?.render(state.scope) ?? state.resource.account,
            partition: partition?.render(state.scope) || state.snapshot.document.account.partition,
          },
          state.set,
        );
        if (!outcome.found) return { ok: false, reason: outcome.reason };
        const missing = missingField(outcome.value, required);
        return missing === undefined
          ? { ok: true, value: outcome.value, id: outcome.id }
          : { ok: false, reason: `the ${missing} of ${outcome.id} ${notCollected(outcome.value)}` };
      });
    },
  };
}

function firstValue(state: EvaluationState, target: Target, then: (value: unknown) => BindingOutcome): BindingOutcome {
  const read = readTarget(state, target);
  if (!read.ok) return read;
  return then(read.values[0]);
}

function missingField(value: unknown, fields: readonly string[]): string | undefined {
  const record = (value ?? {}) as Record<string, unknown>;
  return fields.find((f) => record[f] === null || record[f] === undefined);
}

/** `was not collected (GetKeyPolicy failed: AccessDeniedException: …)`, using the snapshot's recorded error. */
function notCollected(value: unknown): string {
  const error = (value as { error?: { operation?: string; code?: string; message?: string } | null }).error;
  if (error === null || error === undefined) return 'is not in the snapshot';
  return `was not collected (${error.operation ?? 'the API call'} failed: ${error.code ?? 'error'}${error.message ? `: ${error.message}` : ''})`;
}

function arnOutcome(value: unknown): BindingOutcome {
  const arn = typeof value === 'string' ? parseArn(value) : undefined;
  if (arn === undefined) return { ok: false, reason: `${JSON.stringify(value ?? null)} is not an ARN` };
  return { ok: true, value: { text: value, ...arn } };
}
