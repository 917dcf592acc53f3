/** A compiled matcher for IAM-style wildcard patterns (`*` any run of characters, `?` one character). */
export type WildcardMatcher = (value: string) => boolean;

/**
 * Compiles an IAM wildcard pattern. Matching is linear in practice and never backtracks more than
 * O(pattern × value): patterns come from untrusted policies and rule files, so no regex is built.
 */
export function compileWildcard(pattern: string, options: { ignoreCase?: boolean } = {}): WildcardMatcher {
  const ignoreCase = options.ignoreCase ?? false;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (!p.includes('*') && !p.includes('?')) {
    return ignoreCase ? (value) => value.toLowerCase() === p : (value) => value === p;
  }
  if (p === '*') return () => true;
  return (value) => wildcardMatch(p, ignoreCase ? value.toLowerCase() : value);
}

/** Tests whether `pattern` has a wildcard character. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Greedy two-pointer glob match that remembers only the last `*`. */
function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let starValue = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === value[v])) {
      p++;
      v++;
    } else if (c === '*') {
      star = p++;
      starValue = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
