import { stableJson } from '../core/stable-json.js';

/** A policy statement as JSON holds it. */
export type StatementJson = Readonly<Record<string, unknown>>;

/**
 * The statements that fixes ask for, one per Sid: statements with the same Sid that differ only in the values of
 * their principals and conditions (the same statement filled in for each trail that uses a key) become one, whose
 * principals and condition values are the union of theirs. Each condition key's values are alternatives (IAM ORs a
 * key's values), so the merged statement grants exactly what the separate ones granted together. Statements with
 * the same Sid and a different shape are kept apart, the later one under a numbered Sid.
 */
export function mergeStatements(statements: readonly StatementJson[]): StatementJson[] {
  const merged: StatementJson[] = [];
  for (const statement of statements) {
    const same = merged.findIndex((m) => m.Sid === statement.Sid && shapeOf(m) === shapeOf(statement));
    if (same >= 0) merged[same] = union(merged[same] as StatementJson, statement);
    else if (merged.some((m) => m.Sid === statement.Sid)) merged.push({ ...statement, Sid: freeSid(merged, String(statement.Sid ?? '')) });
    else merged.push(statement);
  }
  return merged;
}

/** What must be equal for two statements to merge: everything but principal values and condition values. */
function shapeOf(statement: StatementJson): string {
  const { Principal, Condition, ...rest } = statement;
  const principal =
    Principal !== null && typeof Principal === 'object' ? Object.keys(Principal as object).sort() : Principal === undefined ? null : '*';
  const condition = Object.entries((Condition ?? {}) as Record<string, Record<string, unknown>>)
    .map(([op, block]) => [op, Object.keys(block ?? {}).sort()])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return stableJson({ rest, principal, condition });
}

function union(a: StatementJson, b: StatementJson): StatementJson {
  const out: Record<string, unknown> = { ...a };
  if (a.Principal !== null && typeof a.Principal === 'object' && b.Principal !== null && typeof b.Principal === 'object') {
    out.Principal = unionBlock(a.Principal as Record<string, unknown>, b.Principal as Record<string, unknown>);
  }
  if (a.Condition !== undefined) {
    const conditions = a.Condition as Record<string, Record<string, unknown>>;
    const others = (b.Condition ?? {}) as Record<string, Record<string, unknown>>;
    out.Condition = Object.fromEntries(Object.entries(conditions).map(([op, block]) => [op, unionBlock(block, others[op] ?? {})]));
  }
  return out;
}

/** Each key's values of both blocks, in order, once; a single value stays a string. */
function unionBlock(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(a)) {
    const values = [...new Set([...asList(a[key]), ...asList(b[key])].map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as unknown);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function asList(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function freeSid(statements: readonly StatementJson[], sid: string): string {
  for (let n = 2; ; n++) {
    const candidate = `${sid} (${n})`;
    if (!statements.some((s) => s.Sid === candidate)) return candidate;
  }
}
