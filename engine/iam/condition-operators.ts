import { BlockList, isIP } from 'node:net';
import { arnFields } from '../core/arn.js';
import { compileWildcard } from '../core/wildcard.js';

/** How one request value is compared with one policy value, for a base condition operator. */
interface OperatorSpec {
  readonly negated: boolean;
  /** Whether policy variables (`${aws:username}`) are substituted in this operator's values. */
  readonly variables: boolean;
  /**
   * Compares one request value with one policy value. `escaped`: the policy value went through variable
   * substitution, so a backslash makes the next character literal (see `substituteVariables`).
   */
  readonly match: (requestValue: string, policyValue: string, escaped: boolean) => boolean;
}

const equals = (a: string, b: string) => a === b;
const equalsIgnoreCase = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** `…Equals` operators compare literally: a substituted value is read back without its escapes. */
const withoutEscapes = (text: string) => text.replace(/\\(.)/gs, '$1');
const literal = (compare: (a: string, b: string) => boolean) => (a: string, b: string, escaped: boolean) =>
  compare(a, escaped ? withoutEscapes(b) : b);
const like = (a: string, b: string, escaped: boolean) => (escaped ? cachedEscapedWildcard : cachedWildcard)(b)(a);
/** ARN operators compare the six fields one by one, each with wildcards (`*` never spans a colon). */
const arnLike = (a: string, b: string, escaped: boolean) => {
  const request = arnFields(a);
  const policy = arnFields(b);
  if (request === undefined || policy === undefined) return false;
  const compile = escaped ? cachedEscapedWildcard : cachedWildcard;
  return policy.every((field, i) => compile(field)(request[i] ?? ''));
};
const numeric = (compare: (a: number, b: number) => boolean) => (a: string, b: string) => {
  const x = Number(a);
  const y = Number(b);
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && compare(x, y);
};
const date = (compare: (a: number, b: number) => boolean) => (a: string, b: string) => {
  const x = parseDate(a);
  const y = parseDate(b);
  return x !== undefined && y !== undefined && compare(x, y);
};
const bool = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const ipAddress = (a: string, b: string) => cachedCidr(b)(a);

function spec(negated: boolean, match: OperatorSpec['match'], variables = false): OperatorSpec {
  return { negated, match, variables };
}

const lt = (a: number, b: number) => a < b;
const le = (a: number, b: number) => a <= b;
const gt = (a: number, b: number) => a > b;
const ge = (a: number, b: number) => a >= b;
const eq = (a: number, b: number) => a === b;

/** The condition operators of the IAM policy grammar, by base name (qualifiers and `IfExists` removed). */
export const CONDITION_OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map([
  ['StringEquals', spec(false, literal(equals), true)],
  ['StringNotEquals', spec(true, literal(equals), true)],
  ['StringEqualsIgnoreCase', spec(false, literal(equalsIgnoreCase), true)],
  ['StringNotEqualsIgnoreCase', spec(true, literal(equalsIgnoreCase), true)],
  ['StringLike', spec(false, like, true)],
  ['StringNotLike', spec(true, like, true)],
  ['NumericEquals', spec(false, numeric(eq))],
  ['NumericNotEquals', spec(true, numeric(eq))],
  ['NumericLessThan', spec(false, numeric(lt))],
  ['NumericLessThanEquals', spec(false, numeric(le))],
  ['NumericGreaterThan', spec(false, numeric(gt))],
  ['NumericGreaterThanEquals', spec(false, numeric(ge))],
  ['DateEquals', spec(false, date(eq))],
  ['DateNotEquals', spec(true, date(eq))],
  ['DateLessThan', spec(false, date(lt))],
  ['DateLessThanEquals', spec(false, date(le))],
  ['DateGreaterThan', spec(false, date(gt))],
  ['DateGreaterThanEquals', spec(false, date(ge))],
  ['Bool', spec(false, bool)],
  ['BinaryEquals', spec(false, equals)],
  ['IpAddress', spec(false, ipAddress)],
  ['NotIpAddress', spec(true, ipAddress)],
  ['ArnEquals', spec(false, arnLike, true)],
  ['ArnLike', spec(false, arnLike, true)],
  ['ArnNotEquals', spec(true, arnLike, true)],
  ['ArnNotLike', spec(true, arnLike, true)],
]);

/** `Null` is not a comparison: it tests whether the key is present. */
export const NULL_OPERATOR = 'Null';

/** The base names a condition may use, for messages. */
export const CONDITION_OPERATOR_NAMES: readonly string[] = [...CONDITION_OPERATORS.keys(), NULL_OPERATOR];

function parseDate(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Policies repeat the same handful of patterns across thousands of keys: compile each once (up to a bound). */
function memoize<T>(compile: (text: string) => T, limit: number): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let compiled = cache.get(text);
    if (compiled === undefined) {
      compiled = compile(text);
      if (cache.size < limit) cache.set(text, compiled);
    }
    return compiled;
  };
}

const cachedWildcard = memoize((pattern) => compileWildcard(pattern), 100_000);
const cachedEscapedWildcard = memoize((pattern) => compileWildcard(pattern, { escapes: true }), 10_000);
const cachedCidr = memoize(compileCidr, 10_000);

function compileCidr(cidr: string): (address: string) => boolean {
  const [address = '', prefixText] = cidr.split('/');
  const family = isIP(address);
  if (family === 0) return () => false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return () => false;
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return (candidate) => {
    const candidateFamily = isIP(candidate);
    return candidateFamily === family && list.check(candidate, type);
  };
}
