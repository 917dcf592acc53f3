import type { Policy } from './types.js';

const cache = new WeakMap<Policy, { named: ReadonlySet<string>; patterns: readonly string[] }>();

/**
 * Concrete account ids that stand for "another account" when probing a policy: accounts the policy does not name
 * literally, including one instance of every partial wildcard account pattern it holds (`1111*`, `11112222333?`), so a
 * grant scoped by such a pattern is caught. A list of named accounts is never "another account".
 */
export function otherAccounts(policy: Policy, own: string): readonly string[] {
  let byOwn = results.get(policy);
  if (byOwn === undefined) {
    byOwn = new Map();
    results.set(policy, byOwn);
  }
  let accounts = byOwn.get(own);
  if (accounts === undefined) {
    accounts = computeOtherAccounts(policy, own);
    byOwn.set(own, accounts);
  }
  return accounts;
}

const results = new WeakMap<Policy, Map<string, readonly string[]>>();

function computeOtherAccounts(policy: Policy, own: string): readonly string[] {
  const { named, patterns } = accountFacts(policy);
  const taken = (id: string) => named.has(id) || id === own;
  const out = new Set<string>();
  for (const pattern of patterns) {
    const instance = instantiate(pattern, taken);
    if (instance !== undefined) out.add(instance);
  }
  const fallback = ['999999999999', '000000000000', '123412341234'].find((id) => !taken(id));
  if (fallback !== undefined) out.add(fallback);
  return [...out];
}

function accountFacts(policy: Policy): { named: ReadonlySet<string>; patterns: readonly string[] } {
  let facts = cache.get(policy);
  if (facts === undefined) {
    const named = new Set<string>();
    const patterns = new Set<string>();
    for (const statement of policy.statements) {
      const texts = [
        ...statement.conditions.flatMap((c) => c.values),
        ...(statement.principals ?? []).map((p) => p.text),
        ...(statement.notPrincipals ?? []).map((p) => p.text),
      ];
      for (const text of texts) {
        for (const id of text.match(/(?<!\d)\d{12}(?!\d)/g) ?? []) named.add(id);
        for (const segment of accountPlaces(text))
          if (/^[\d*?]+$/.test(segment) && /[*?]/.test(segment) && /\d/.test(segment)) patterns.add(segment);
      }
    }
    facts = { named, patterns: [...patterns] };
    cache.set(policy, facts);
  }
  return facts;
}

/**
 * Where an account id can stand in a value: the whole value (aws:SourceAccount), the account field of an ARN, or a
 * path segment of an ARN's resource (s3 object keys like AWSLogs/111122223333/…). A wildcard Region is not one.
 */
function accountPlaces(text: string): string[] {
  const fields = text.split(':');
  if (fields.length < 6 || fields[0] !== 'arn') return [text];
  return [fields[4] ?? '', ...fields.slice(5).join(':').split('/')];
}

/** A 12-digit id matching the pattern and not taken, trying each filler digit in turn. */
function instantiate(pattern: string, taken: (id: string) => boolean): string | undefined {
  const fixed = pattern.replace(/\*/g, '').length;
  if (fixed > 12) return undefined;
  for (const digit of '0123456789') {
    let starFill = digit.repeat(12 - fixed);
    let id = '';
    for (const c of pattern) {
      if (c === '*') {
        id += starFill;
        starFill = '';
      } else id += c === '?' ? digit : c;
    }
    if (id.length === 12 && !taken(id)) return id;
  }
  return undefined;
}
