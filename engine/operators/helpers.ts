import type { OperatorResult } from './types.js';

/** A pass or fail result from a test and the phrase for each outcome. */
export function verdict(ok: boolean, passReason: string, failReason: string): OperatorResult {
  return ok ? { status: 'pass', reason: passReason } : { status: 'fail', reason: failReason };
}

/** A short, single-line rendering of a value for reasons. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function showList(values: readonly unknown[]): string {
  return `[${values.map(show).join(', ')}]`;
}

/** JSON equality: same type, same scalars, same keys and items. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return (
    ak.length === bk.length &&
    ak.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value];
}

export const ANY_VALUE = {};
export const STRING = { type: 'string' };
export const LIST = { type: 'array' };
export const IGNORE_CASE = { type: 'boolean', description: 'Compare without regard to letter case.' };
