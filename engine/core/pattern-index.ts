import { hasWildcard } from './wildcard.js';

/** Where an ARN or resource id splits into fields. */
const SEPARATORS = /[:/]/;

/**
 * Finds the items whose wildcard pattern could match a resource id without comparing the id with every pattern:
 * 100,000 waivers over 100,000 findings must stay near-linear. A field of a pattern that holds no wildcard and is
 * bounded by separators (or the pattern's ends) must be a whole field of any id it matches — `222233334444` in
 * `arn:aws:cloudtrail:*:222233334444:trail/*` — so each pattern is filed under its rarest such field, and an id
 * looks only in the buckets of its own fields. Exact ids are found directly; a pattern with no such field (`*`) is
 * tried for every id.
 */
export class PatternIndex<T> {
  private readonly exact = new Map<string, number[]>();
  private readonly byField = new Map<string, number[]>();
  private readonly everywhere: number[] = [];

  constructor(
    private readonly items: readonly T[],
    pattern: (item: T) => string,
  ) {
    const fields = items.map((item) => literalFields(pattern(item)));
    const frequency = new Map<string, number>();
    for (const list of fields) for (const field of new Set(list)) frequency.set(field, (frequency.get(field) ?? 0) + 1);
    items.forEach((item, i) => {
      const text = pattern(item);
      const list = fields[i] as string[];
      if (!hasWildcard(text)) file(this.exact, text, i);
      else if (list.length === 0) this.everywhere.push(i);
      else
        file(
          this.byField,
          list.reduce((best, field) => ((frequency.get(field) ?? 0) < (frequency.get(best) ?? 0) ? field : best)),
          i,
        );
    });
  }

  /** The items that may match `id`, in their original order. */
  candidates(id: string): T[] {
    const found = new Set<number>([...(this.exact.get(id) ?? []), ...this.everywhere]);
    for (const field of new Set(id.split(SEPARATORS))) for (const i of this.byField.get(field) ?? []) found.add(i);
    return [...found].sort((a, b) => a - b).map((i) => this.items[i] as T);
  }
}

function literalFields(pattern: string): string[] {
  return pattern.split(SEPARATORS).filter((field) => field !== '' && !hasWildcard(field));
}

function file(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}
