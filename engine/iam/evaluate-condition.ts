import { CONDITION_OPERATORS, NULL_OPERATOR } from './condition-operators.js';
import type { ConditionClause, ContextValue } from './types.js';

/**
 * Evaluates one condition clause against the request context (keys lower-cased).
 * Absent keys: positive operators are false, negated ones true, `…IfExists` true, `ForAnyValue:` false,
 * `ForAllValues:` true; `Null` tests presence. Values of one key are ORed.
 */
export function evaluateCondition(clause: ConditionClause, context: ReadonlyMap<string, ContextValue>): boolean {
  if (clause.base === undefined) return false;
  const present = context.get(clause.keyLower);
  const requestValues = present === undefined ? undefined : typeof present === 'string' ? [present] : present;
  if (clause.base === NULL_OPERATOR) {
    const absent = requestValues === undefined || requestValues.length === 0;
    return clause.values.some((v) => (v.toLowerCase() === 'true') === absent);
  }
  const operator = CONDITION_OPERATORS.get(clause.base);
  if (operator === undefined) return false;
  if (requestValues === undefined) {
    if (clause.ifExists) return true;
    if (clause.set === 'any') return false;
    if (clause.set === 'all') return true;
    return operator.negated;
  }
  const escaped = operator.variables && clause.hasVariables;
  const policyValues = escaped ? clause.values.map((v) => substituteVariables(v, context)) : clause.values;
  const matchesAny = (requestValue: string) =>
    policyValues.some((policyValue) => policyValue !== undefined && operator.match(requestValue, policyValue, escaped));
  const satisfies = (requestValue: string) => (operator.negated ? !matchesAny(requestValue) : matchesAny(requestValue));
  switch (clause.set) {
    case 'all':
      return requestValues.every(satisfies);
    case 'any':
      return requestValues.some(satisfies);
    case 'none':
      return operator.negated ? !requestValues.some(matchesAny) : requestValues.some(matchesAny);
  }
}

/**
 * Replaces policy variables (`${aws:username}`, and the escapes `${*}`, `${?}`, `${$}`) with request values, in the
 * escaped form the operators read: a backslash before a character makes it literal, so a `${*}` (or a `*` inside a
 * substituted value) stays a literal `*` in `…Like` and ARN operators, as in IAM, while the policy's own `*` and `?`
 * remain wildcards. A variable whose key the request lacks makes the value unmatchable (`undefined`), as in IAM.
 */
export function substituteVariables(value: string, context: ReadonlyMap<string, ContextValue>): string | undefined {
  let missing = false;
  let out = '';
  let last = 0;
  for (const match of value.matchAll(/\$\{([^}]*)\}/g)) {
    out += escapeBackslashes(value.slice(last, match.index));
    last = (match.index ?? 0) + match[0].length;
    const name = match[1] as string;
    if (name === '*' || name === '?' || name === '$') {
      out += `\\${name}`;
      continue;
    }
    const found = context.get(name.toLowerCase());
    if (typeof found === 'string') out += escapeAll(found);
    else missing = true;
  }
  out += escapeBackslashes(value.slice(last));
  return missing ? undefined : out;
}

/** The escaped form of a policy value with no variables: only backslashes need escaping. */
function escapeBackslashes(text: string): string {
  return text.replaceAll('\\', '\\\\');
}

/** A substituted value is literal text: every wildcard and backslash in it is escaped. */
function escapeAll(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}
