import { compileWildcard } from '../core/wildcard.js';
import { asList, STRING, show, verdict } from './helpers.js';
import type { ValueOperator } from './types.js';

/**
 * Passes when an IAM `Action` value (a pattern or a list of patterns, as a policy holds it) covers `action`:
 * IAM wildcards, action names compared without regard to case.
 */
export const iamActionMatches: ValueOperator = {
  name: 'iam-action-matches',
  kind: 'value',
  summary: 'an IAM Action value (pattern or list) covers `action`, with IAM wildcards and case-insensitive names',
  options: { properties: { action: STRING }, required: ['action'] },
  compile(options, context) {
    const action = context.template(String(options.action));
    return (value, scope) => {
      const wanted = action.render(scope);
      const patterns = asList(value).filter((p): p is string => typeof p === 'string');
      const covering = patterns.find((p) => compileWildcard(p, { ignoreCase: true })(wanted));
      return verdict(covering !== undefined, `${show(covering)} covers ${wanted}`, `${show(value)} does not cover ${wanted}`);
    };
  },
};
