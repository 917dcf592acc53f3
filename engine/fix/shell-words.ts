/**
 * A command line from its words, each quoted for a POSIX shell unless it is plainly safe: a trail or key name from a
 * snapshot (which anyone may have written) stays one argument, whatever it holds.
 */
export function shellWords(words: readonly string[]): string {
  return words.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)).join(' ');
}
