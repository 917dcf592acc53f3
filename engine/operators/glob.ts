import { compileWildcard } from '../core/wildcard.js';
import { IGNORE_CASE, STRING, show, verdict } from './helpers.js';
import type { OperatorResult, ValueOperator } from './types.js';

function stringTest(value: unknown, test: (s: string) => boolean, pass: string, fail: string): OperatorResult {
  if (typeof value !== 'string') return { status: 'fail', reason: `is ${show(value)}, not a string` };
  return verdict(test(value), `${show(value)} ${pass}`, `${show(value)} ${fail}`);
}

export const glob: ValueOperator = {
  name: 'glob',
  kind: 'value',
  summary: 'a string value matches the wildcard `pattern` (* any run of characters, ? one character)',
  options: { properties: { pattern: STRING, ignoreCase: IGNORE_CASE }, required: ['pattern'] },
  compile(options, context) {
    const pattern = context.template(String(options.pattern));
    const ignoreCase = options.ignoreCase === true;
    return (value, scope) => {
      const p = pattern.render(scope);
      return stringTest(value, compileWildcard(p, { ignoreCase }), `matches ${p}`, `does not match ${p}`);
    };
  },
};

export const startsWith: ValueOperator = {
  name: 'startsWith',
  kind: 'value',
  summary: 'a string value starts with `value`',
  options: { properties: { value: STRING }, required: ['value'] },
  compile(options, context) {
    const prefix = context.template(String(options.value));
    return (value, scope) => {
      const p = prefix.render(scope);
      return stringTest(value, (s) => s.startsWith(p), `starts with ${show(p)}`, `does not start with ${show(p)}`);
    };
  },
};

export const endsWith: ValueOperator = {
  name: 'endsWith',
  kind: 'value',
  summary: 'a string value ends with `value`',
  options: { properties: { value: STRING }, required: ['value'] },
  compile(options, context) {
    const suffix = context.template(String(options.value));
    return (value, scope) => {
      const s = suffix.render(scope);
      return stringTest(value, (v) => v.endsWith(s), `ends with ${show(s)}`, `does not end with ${show(s)}`);
    };
  },
};
