/** A compiled matcher for IAM-style wildcard patterns (`*` any run of characters, `?` one character). */
export type WildcardMatcher = (value: string) => boolean;

/**
 * Compiles an IAM wildcard pattern. Matching is linear in practice and never backtracks more than
 * O(pattern × value): patterns come from untrusted policies and rule files, so no regex is built.
 */
export function compileWildcard(pattern: string, options: { ignoreCase?: boolean; escapes?: boolean } = {}): WildcardMatcher {
  const ignoreCase = options.ignoreCase ?? false;
  if (options.escapes === true && pattern.includes('\\')) return compileEscaped(ignoreCase ? pattern.toLowerCase() : pattern, ignoreCase);
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

/**
 * A pattern in which a backslash makes the next character literal (`\*` is a star, `\\` a backslash): how a
 * `…Like` condition value reads once policy variables are substituted (`${*}` is a literal `*` in IAM).
 */
function compileEscaped(pattern: string, ignoreCase: boolean): WildcardMatcher {
  let text = '';
  const literal: boolean[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      text += pattern[++i];
      literal.push(true);
    } else {
      text += c;
      literal.push(false);
    }
  }
  const wild = (i: number) => !literal[i] && (text[i] === '*' || text[i] === '?');
  return (value) => wildcardMatch(text, ignoreCase ? value.toLowerCase() : value, wild);
}

/** Greedy two-pointer glob match that remembers only the last `*`. */
function wildcardMatch(pattern: string, value: string, isWild?: (i: number) => boolean): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let starValue = 0;
  while (v < value.length) {
    const c = pattern[p];
    const wild = isWild === undefined ? c === '*' || c === '?' : c !== undefined && isWild(p);
    if ((wild && c === '?') || (c !== undefined && !wild && c === value[v])) {
      p++;
      v++;
    } else if (wild && c === '*') {
      star = p++;
      starValue = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*' && (isWild === undefined || isWild(p))) p++;
  return p === pattern.length;
}
