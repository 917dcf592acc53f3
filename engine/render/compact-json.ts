import stringify from 'json-stringify-pretty-compact';

/**
 * JSON for people to read in a report: indented, but every object or array that fits on one line of 88 characters
 * written on one (a statement's Principal, Action and Condition each take a line, not five).
 */
export function compactJson(value: unknown): string {
  return stringify(value, { maxLength: 88, indent: 2 }) ?? 'null';
}
