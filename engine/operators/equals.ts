import { ANY_VALUE, jsonEqual, show, verdict } from './helpers.js';
import type { ValueOperator } from './types.js';

export const equals: ValueOperator = {
  name: 'equals',
  kind: 'value',
  summary: 'the value is JSON-equal to `value` (strings may use {{…}})',
  options: { properties: { value: ANY_VALUE }, required: ['value'] },
  compile(options, context) {
    const expected = context.value(options.value);
    return (value, scope) => {
      const want = expected(scope);
      return verdict(jsonEqual(value, want), `is ${show(want)}`, `is ${show(value)}, not ${show(want)}`);
    };
  },
};

export const notEquals: ValueOperator = {
  name: 'notEquals',
  kind: 'value',
  summary: 'the value is not JSON-equal to `value`',
  options: { properties: { value: ANY_VALUE }, required: ['value'] },
  compile(options, context) {
    const expected = context.value(options.value);
    return (value, scope) => {
      const unwanted = expected(scope);
      return verdict(!jsonEqual(value, unwanted), `is ${show(value)}, not ${show(unwanted)}`, `is ${show(unwanted)}`);
    };
  },
};
