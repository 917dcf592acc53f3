import { RE2JS, RE2JSException } from 're2js';
import { IGNORE_CASE, STRING, show, verdict } from './helpers.js';
import { OperatorOptionsError, type ValueOperator } from './types.js';

/**
 * Compiles a rule's regular expression on RE2 (linear time: no pattern can make matching backtrack). A pattern RE2
 * cannot compile is an options error at `pattern`, said in RE2's words.
 */
export function compileRegex(pattern: string, ignoreCase: boolean): RE2JS {
  try {
    return RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new OperatorOptionsError(`invalid regular expression: ${error.message}`, { code: 'regex', option: 'pattern' });
  }
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
