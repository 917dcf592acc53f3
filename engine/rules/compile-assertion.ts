import { didYouMean } from '../core/suggest.js';
import { compileSchemaValidator, type SchemaValidator } from '../input/schema-validation.js';
import { OPERATORS } from '../operators/index.js';
import { type CompileContext, type OperatorDefinition, OperatorOptionsError } from '../operators/types.js';
import { isTemplate, TemplateSyntaxError } from '../template/template.js';
import type { CompiledAssertion, Quantifier } from './compiled-rule.js';
import { isObject, type RuleCompiler } from './rule-compiler.js';

const COMMON_PROPERTIES = {
  path: { type: 'string' },
  op: { type: 'string' },
  quantifier: { enum: ['all', 'some', 'none'] },
  count: {
    type: 'object',
    additionalProperties: false,
    properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } },
  },
  message: { type: 'string' },
};

const validators = new Map<string, SchemaValidator>();

/** The schema of an assertion using `op`: the common fields and the operator's own options, nothing else. */
export function assertionSchema(op: OperatorDefinition): object {
  return {
    type: 'object',
    required: ['path', 'op', ...(op.options.required ?? [])],
    additionalProperties: false,
    properties: { ...COMMON_PROPERTIES, ...op.options.properties },
  };
}

/** Each operator's options are checked against its own schema, so a misspelt option is named where it is. */
function validatorFor(op: OperatorDefinition): SchemaValidator {
  let validator = validators.get(op.name);
  if (validator === undefined) {
    validator = compileSchemaValidator(assertionSchema(op), `operator:${op.name}`);
    validators.set(op.name, validator);
  }
  return validator;
}

/** Compiles one `when` or `assert` item; problems are recorded on the compiler and `undefined` returned. */
export function compileAssertion(
  compiler: RuleCompiler,
  raw: unknown,
  pointer: string,
  known: ReadonlySet<string>,
): CompiledAssertion | undefined {
  if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') return undefined;
  const op = OPERATORS.get(raw.op);
  if (op === undefined) {
    compiler.error(
      'unknown-operator',
      `${pointer}/op`,
      `unknown operator ${JSON.stringify(raw.op)}${didYouMean(raw.op, OPERATORS.keys())}: valid operators are ${[...OPERATORS.keys()].join(', ')}`,
    );
    return undefined;
  }
  const before = compiler.diagnostics.length;
  for (const problem of validatorFor(op).validate(raw, pointer)) {
    // The rule schema checks the fields every assertion has (quantifier, count): one problem is told once.
    if (compiler.reported(problem.pointer, problem.message, problem.atKey)) continue;
    compiler.error('operator-options', problem.pointer, `${problem.message} (operator ${op.name})`, problem.atKey);
  }
  if (op.kind === 'matches' && (raw.quantifier !== undefined || raw.count !== undefined)) {
    compiler.error('operator-options', pointer, `${op.name} takes no quantifier or count: it judges everything the path selects at once`);
  }
  const target = compiler.target(raw.path, `${pointer}/path`, known);
  const message = typeof raw.message === 'string' ? compiler.template(raw.message, `${pointer}/message`, withVerdict(known)) : undefined;
  if (compiler.diagnostics.length > before || target === undefined) return undefined;
  let templated = false;
  const context = compileContext(compiler, pointer, new Set([...known, 'principal']), () => {
    templated = true;
  });
  try {
    const quantifier: Quantifier = isObject(raw.count) ? (raw.count as Quantifier) : ((raw.quantifier as Quantifier | undefined) ?? 'all');
    const test =
      op.kind === 'value'
        ? { kind: 'value' as const, test: op.compile(raw, context) }
        : { kind: 'matches' as const, test: op.compile(raw, context) };
    return { target, op: op.name, quantifier, test, message, resourceFree: !templated && op.readsScope !== true };
  } catch (error) {
    if (error instanceof OperatorOptionsError && error.problem !== undefined) {
      compiler.error(error.problem.code, `${pointer}/${error.problem.option}`, error.message);
    } else if (error instanceof OperatorOptionsError || error instanceof TemplateSyntaxError) {
      compiler.error('operator-options', pointer, `${error.message} (operator ${op.name})`);
    } else {
      throw error;
    }
    return undefined;
  }
}

function compileContext(compiler: RuleCompiler, pointer: string, known: ReadonlySet<string>, onTemplate: () => void): CompileContext {
  const template = (text: string) => {
    if (isTemplate(text)) onTemplate();
    return compiler.template(text, pointer, known);
  };
  const value = (option: unknown): ((scope: Readonly<Record<string, unknown>>) => unknown) => {
    if (typeof option === 'string' && isTemplate(option)) {
      const t = template(option);
      return (scope) => t.value(scope);
    }
    if (Array.isArray(option) && option.some((o) => typeof o === 'string' && isTemplate(o))) {
      const parts = option.map((o) => value(o));
      return (scope) => parts.map((p) => p(scope));
    }
    return () => option;
  };
  return { template, value };
}

export function withVerdict(known: ReadonlySet<string>): ReadonlySet<string> {
  return new Set([...known, 'rule', 'verdict']);
}
