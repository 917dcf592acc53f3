import type { Policy } from './types.js';

const cache = new WeakMap<Policy, { named: ReadonlySet<string>; patterns: readonly string[] }>();

/**
 * Concrete account ids that stand for "another account" when probing a policy: accounts the policy does not name
 * literally, including one instance of every wildcard account pattern it holds (`*`, `1111*`, `11112222333?`), so a
 * grant scoped by such a pattern is caught. A list of named accounts is never "another account".
 */
export function otherAccounts(policy: Policy, own: string): readonly string[] {
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
        for (const segment of text.split(/[:/]/)) {
          if (/^\d{12}$/.test(segment)) named.add(segment);
          else if (/^[\d*?]+$/.test(segment) && /[*?]/.test(segment)) patterns.add(segment);
        }
      }
    }
    facts = { named, patterns: [...patterns] };
    cache.set(policy, facts);
  }
  return facts;
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
