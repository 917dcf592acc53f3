import { RE2JS } from 're2js';
import { IGNORE_CASE, STRING, show, verdict } from './helpers.js';
import type { ValueOperator } from './types.js';

/** Compiles a rule's regular expression on RE2 (linear time: no pattern can make matching backtrack). */
export function compileRegex(pattern: string, ignoreCase: boolean): RE2JS {
  return RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
}

export const regex: ValueOperator = {
  name: 'regex',
  kind: 'value',
  summary: 'a string value matches the RE2 regular expression `pattern` (search; anchor with ^…$)',
  options: { properties: { pattern: STRING, ignoreCase: IGNORE_CASE }, required: ['pattern'] },
  compile(options) {
    const pattern = String(options.pattern);
    const re = compileRegex(pattern, options.ignoreCase === true);
    return (value) =>
      typeof value !== 'string'
        ? { status: 'fail', reason: `is ${show(value)}, not a string` }
        : verdict(re.matcher(value).find(), `${show(value)} matches /${pattern}/`, `${show(value)} does not match /${pattern}/`);
  },
};
