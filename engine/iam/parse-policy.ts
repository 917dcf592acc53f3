import { parseArn } from '../core/arn.js';
import { compileWildcard } from '../core/wildcard.js';
import { CONDITION_OPERATORS, NULL_OPERATOR } from './condition-operators.js';
import type { ConditionClause, Pattern, Policy, PrincipalEntry, SetQualifier, Statement } from './types.js';

const cache = new WeakMap<object, Policy>();
const NONE: readonly never[] = Object.freeze([]);

/**
 * Normalises a policy document (the parsed JSON, as GetKeyPolicy returns it) for evaluation. Never throws: what
 * AWS would reject is recorded in `problems`, and the statement concerned grants nothing.
 * Results are cached per document object, so a key shared by many trails is parsed once.
 */
export function parsePolicy(document: unknown): Policy {
  if (typeof document === 'object' && document !== null && !Array.isArray(document)) {
    const cached = cache.get(document);
    if (cached !== undefined) return cached;
    const policy = parseDocument(document as Record<string, unknown>);
    cache.set(document, policy);
    return policy;
  }
  return { version: undefined, statements: [], problems: ['the policy is not a JSON object'] };
}

function parseDocument(document: Record<string, unknown>): Policy {
  const problems: string[] = [];
  const version = typeof document.Version === 'string' ? document.Version : undefined;
  const raw = own(document, 'Statement');
  if (raw === undefined) problems.push('the policy has no Statement element');
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const statements = list.map((statement, index) => parseStatement(statement, index, version));
  return { version, statements, problems };
}

function parseStatement(source: unknown, index: number, version: string | undefined): Statement {
  const problems: string[] = [];
  const s = typeof source === 'object' && source !== null && !Array.isArray(source) ? (source as Record<string, unknown>) : {};
  if (s !== source) problems.push('the statement is not a JSON object');
  const sidValue = own(s, 'Sid');
  const effectValue = own(s, 'Effect');
  if (effectValue !== 'Allow' && effectValue !== 'Deny') problems.push(`Effect must be "Allow" or "Deny", found ${describe(effectValue)}`);
  const principals = parsePrincipals(own(s, 'Principal'), 'Principal', problems);
  const notPrincipals = parsePrincipals(own(s, 'NotPrincipal'), 'NotPrincipal', problems);
  if (principals === undefined && notPrincipals === undefined) problems.push('the statement has no Principal element');
  const actions = parsePatterns(own(s, 'Action'), 'Action', true, problems);
  const notActions = parsePatterns(own(s, 'NotAction'), 'NotAction', true, problems);
  if (actions === undefined && notActions === undefined) problems.push('the statement has no Action element');
  const resources = parsePatterns(own(s, 'Resource'), 'Resource', false, problems);
  const notResources = parsePatterns(own(s, 'NotResource'), 'NotResource', false, problems);
  if (resources === undefined && notResources === undefined) problems.push('the statement has no Resource element');
  const conditions = parseConditions(own(s, 'Condition'), problems);
  return {
    index,
    sid: typeof sidValue === 'string' ? sidValue : undefined,
    effect: effectValue === 'Deny' ? 'Deny' : 'Allow',
    principals,
    notPrincipals,
    actions,
    notActions,
    resources,
    notResources,
    conditions: conditions.length === 0 ? NONE : version === '2012-10-17' ? conditions : conditions.map(literalVariables),
    problems: problems.length === 0 ? NONE : problems,
    source,
  };
}

function parsePrincipals(value: unknown, element: string, problems: string[]): PrincipalEntry[] | undefined {
  if (value === undefined) return undefined;
  if (value === '*') return [{ kind: 'any', text: '*' }];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${element} must be "*" or an object, found ${describe(value)}`);
    return [];
  }
  const entries: PrincipalEntry[] = [];
  for (const [type, names] of Object.entries(value)) {
    for (const name of stringList(names, `${element}.${type}`, problems)) {
      const entry = principalEntry(type, name);
      if (entry === undefined) problems.push(`${element} type ${JSON.stringify(type)} is not AWS, Service, Federated or CanonicalUser`);
      else entries.push(entry);
    }
  }
  return entries;
}

function principalEntry(type: string, name: string): PrincipalEntry | undefined {
  switch (type) {
    case 'AWS': {
      if (name === '*') return { kind: 'any', text: name };
      if (/^\d{12}$/.test(name)) return { kind: 'aws-account', account: name, text: name };
      const arn = parseArn(name);
      if (arn !== undefined && arn.service === 'iam' && arn.resource === 'root') {
        return { kind: 'aws-account', account: arn.account, text: name };
      }
      return { kind: 'aws-arn', arn: name, account: arn?.account ?? '', text: name };
    }
    case 'Service':
      return { kind: 'service', name: name.toLowerCase(), text: name };
    case 'Federated':
      return { kind: 'federated', name, text: name };
    case 'CanonicalUser':
      return { kind: 'canonical-user', id: name, text: name };
    default:
      return undefined;
  }
}

function parsePatterns(value: unknown, element: string, ignoreCase: boolean, problems: string[]): Pattern[] | undefined {
  if (value === undefined) return undefined;
  return stringList(value, element, problems).map((text) => pattern(text, ignoreCase));
}

// The same patterns ("*", "kms:*", "kms:Decrypt") recur in thousands of key policies: share one object for each.
const patterns = new Map<string, Pattern>();
function pattern(text: string, ignoreCase: boolean): Pattern {
  const key = `${ignoreCase ? 'i' : 's'}${text}`;
  let found = patterns.get(key);
  if (found === undefined) {
    found = { text, test: compileWildcard(text, { ignoreCase }) };
    if (patterns.size < 100_000) patterns.set(key, found);
  }
  return found;
}

function parseConditions(value: unknown, problems: string[]): ConditionClause[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`Condition must be an object, found ${describe(value)}`);
    return [];
  }
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    const { base, set, ifExists } = splitOperator(operator);
    if (base === undefined) problems.push(`unknown condition operator ${JSON.stringify(operator)}`);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      problems.push(`Condition.${operator} must be an object of condition keys, found ${describe(block)}`);
      continue;
    }
    for (const [key, values] of Object.entries(block)) {
      const list = stringList(values, `Condition.${operator}.${key}`, problems);
      clauses.push({
        operator,
        base,
        set,
        ifExists,
        key,
        keyLower: key.toLowerCase(),
        values: list,
        hasVariables: list.some((v) => v.includes('${')),
      });
    }
  }
  return clauses;
}

/** Splits `ForAllValues:StringLikeIfExists` into its parts; `base` is undefined for an unknown operator. */
function splitOperator(operator: string): { base: string | undefined; set: SetQualifier; ifExists: boolean } {
  let rest = operator;
  let set: SetQualifier = 'none';
  if (rest.startsWith('ForAnyValue:')) {
    set = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== NULL_OPERATOR) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const known = rest === NULL_OPERATOR ? !ifExists : CONDITION_OPERATORS.has(rest);
  return { base: known ? rest : undefined, set, ifExists };
}

/** Version 2008-10-17 has no policy variables: `${…}` is literal text there. */
function literalVariables(clause: ConditionClause): ConditionClause {
  return clause.values.some((v) => v.includes('${')) ? { ...clause, values: clause.values.map((v) => v.replaceAll('$', '${$}')) } : clause;
}

/** A string or array of strings (booleans and numbers as their JSON text, as IAM accepts them in conditions). */
function stringList(value: unknown, element: string, problems: string[]): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'boolean' || typeof item === 'number') out.push(String(item));
    else problems.push(`${element} must hold strings, found ${describe(item)}`);
  }
  return out;
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}
