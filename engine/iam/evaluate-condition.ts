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
  const policyValues =
    operator.variables && clause.hasVariables ? clause.values.map((v) => substituteVariables(v, context)) : clause.values;
  const matchesAny = (requestValue: string) =>
    policyValues.some((policyValue) => policyValue !== undefined && operator.match(requestValue, policyValue));
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
 * Replaces policy variables (`${aws:username}`, and the escapes `${*}`, `${?}`, `${$}`) with request values.
 * A variable whose key the request lacks makes the value unmatchable (`undefined`), as in IAM.
 * Limitation: an escaped `${*}` or `${?}` becomes a wildcard again in `…Like` operators (IAM keeps it literal).
 */
export function substituteVariables(value: string, context: ReadonlyMap<string, ContextValue>): string | undefined {
  if (!value.includes('${')) return value;
  let missing = false;
  const out = value.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    const found = context.get(name.toLowerCase());
    if (typeof found === 'string') return found;
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}
