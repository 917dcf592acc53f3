import { ANY_VALUE, asList, jsonEqual, LIST, show, showList } from './helpers.js';
import type { OperatorResult, ValueOperator } from './types.js';

/** Whether a string holds a substring, or an array an item (JSON equality). */
function holds(container: unknown, item: unknown): boolean | undefined {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((c) => jsonEqual(c, item));
  return undefined;
}

function judge(value: unknown, items: readonly unknown[], need: 'one' | 'any' | 'all'): OperatorResult {
  if (typeof value !== 'string' && !Array.isArray(value)) return { status: 'fail', reason: `is ${show(value)}, not a string or an array` };
  const present = items.filter((item) => holds(value, item) === true);
  const missing = items.filter((item) => holds(value, item) !== true);
  const ok = need === 'all' ? missing.length === 0 : present.length > 0;
  const what = need === 'one' ? show(items[0]) : `${need === 'all' ? 'all' : 'any'} of ${showList(items)}`;
  if (ok) return { status: 'pass', reason: `contains ${what}` };
  return {
    status: 'fail',
    reason: need === 'all' ? `${show(value)} lacks ${showList(missing)}` : `${show(value)} does not contain ${what}`,
  };
}

export const contains: ValueOperator = {
  name: 'contains',
  kind: 'value',
  summary: 'a string value contains the substring `value`, or an array value contains the item `value`',
  options: { properties: { value: ANY_VALUE }, required: ['value'] },
  compile(options, context) {
    const item = context.value(options.value);
    return (value, scope) => judge(value, [item(scope)], 'one');
  },
};

export const containsAny: ValueOperator = {
  name: 'containsAny',
  kind: 'value',
  summary: 'the string or array value contains at least one of `values`',
  options: { properties: { values: LIST }, required: ['values'] },
  compile(options, context) {
    const items = context.value(options.values);
    return (value, scope) => judge(value, asList(items(scope)), 'any');
  },
};

export const containsAll: ValueOperator = {
  name: 'containsAll',
  kind: 'value',
  summary: 'the string or array value contains every one of `values`',
  options: { properties: { values: LIST }, required: ['values'] },
  compile(options, context) {
    const items = context.value(options.values);
    return (value, scope) => judge(value, asList(items(scope)), 'all');
  },
};
