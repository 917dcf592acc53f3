import type { MatchesOperator } from './types.js';

const isSet = (v: unknown) => v !== null && v !== undefined && v !== '';

/** Passes when the path selects at least one value that is not null or the empty string. */
export const exists: MatchesOperator = {
  name: 'exists',
  kind: 'matches',
  summary: 'the path selects at least one value that is not null or the empty string',
  options: { properties: {} },
  compile: () => (values) =>
    values.some(isSet) ? { status: 'pass', reason: 'is set' } : { status: 'fail', reason: values.length === 0 ? 'is not set' : 'is empty' },
};

/** Passes when the path selects nothing, or only null or empty strings. */
export const absent: MatchesOperator = {
  name: 'absent',
  kind: 'matches',
  summary: 'the path selects nothing, or only null or the empty string',
  options: { properties: {} },
  compile: () => (values) => {
    const set = values.filter(isSet);
    return set.length === 0 ? { status: 'pass', reason: 'is not set' } : { status: 'fail', reason: `is set (${JSON.stringify(set[0])})` };
  },
};
