import { asList, jsonEqual, LIST, show, showList, verdict } from './helpers.js';
import type { ValueOperator } from './types.js';

export const isIn: ValueOperator = {
  name: 'in',
  kind: 'value',
  summary: 'the value is one of `values`',
  options: { properties: { values: LIST }, required: ['values'] },
  compile(options, context) {
    const allowed = context.value(options.values);
    return (value, scope) => {
      const list = asList(allowed(scope));
      const ok = list.some((v) => jsonEqual(v, value));
      return verdict(ok, `is ${show(value)}, one of ${showList(list)}`, `is ${show(value)}, not one of ${showList(list)}`);
    };
  },
};

export const notIn: ValueOperator = {
  name: 'notIn',
  kind: 'value',
  summary: 'the value is none of `values`',
  options: { properties: { values: LIST }, required: ['values'] },
  compile(options, context) {
    const denied = context.value(options.values);
    return (value, scope) => {
      const list = asList(denied(scope));
      const ok = !list.some((v) => jsonEqual(v, value));
      return verdict(ok, `is ${show(value)}, none of ${showList(list)}`, `is ${show(value)}, one of ${showList(list)}`);
    };
  },
};
