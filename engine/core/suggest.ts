import { distance } from 'fastest-levenshtein';

/**
 * The candidate a misspelt name most likely meant: the closest by edit distance (case aside), when it is close
 * enough to be a slip — one edit in a name of up to three characters, else up to a third of its length (at least two,
 * so a swapped pair of letters counts).
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) return undefined;
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "equals"?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: Iterable<string>, show: (name: string) => string = (n) => JSON.stringify(n)): string {
  const best = closestName(word, candidates);
  return best === undefined ? '' : ` (did you mean ${show(best)}?)`;
}
