import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../../../engine/operators/index.js';
import type { CompileContext, OperatorContext, ValueOperator } from '../../../engine/operators/types.js';
import { compileTemplate, isTemplate } from '../../../engine/template/template.js';

const context: CompileContext = {
  template: (text) => compileTemplate(text),
  value: (option) => (scope) => (typeof option === 'string' && isTemplate(option) ? compileTemplate(option).value(scope) : option),
};
const scope = { snapshot: { account: { id: '111122223333' } } };
const RUN: OperatorContext = { organisation: () => ({ state: 'unknown' }) };

function run(op: string, options: Record<string, unknown>, value: unknown) {
  const definition = OPERATORS.get(op);
  if (definition === undefined) throw new Error(op);
  if (definition.kind === 'matches') return definition.compile(options, context)(value as unknown[], scope, RUN);
  return (definition as ValueOperator).compile(options, context)(value, scope, RUN);
}

describe('value operators', () => {
  it.each([
    ['equals', { value: 'Enabled' }, 'Enabled', 'pass', 'is "Enabled"'],
    ['equals', { value: 'Enabled' }, 'Disabled', 'fail', 'is "Disabled", not "Enabled"'],
    ['equals', { value: { a: [1] } }, { a: [1] }, 'pass', 'is {"a":[1]}'],
    ['equals', { value: true }, 'true', 'fail', 'is "true", not true'],
    ['equals', { value: '{{snapshot.account.id}}' }, '111122223333', 'pass', 'is "111122223333"'],
    ['notEquals', { value: 'AWS' }, 'CUSTOMER', 'pass', 'is "CUSTOMER", not "AWS"'],
    ['notEquals', { value: 'AWS' }, 'AWS', 'fail', 'is "AWS"'],
    ['in', { values: ['a', 'b'] }, 'b', 'pass', 'is "b", one of ["a", "b"]'],
    ['in', { values: ['a', 'b'] }, 'c', 'fail', 'is "c", not one of ["a", "b"]'],
    ['notIn', { values: ['a'] }, 'c', 'pass', 'is "c", none of ["a"]'],
    ['notIn', { values: ['a'] }, 'a', 'fail', 'is "a", one of ["a"]'],
    ['contains', { value: 'trail' }, 'cloudtrail', 'pass', 'contains "trail"'],
    ['contains', { value: 'x' }, ['x', 'y'], 'pass', 'contains "x"'],
    ['contains', { value: 'z' }, ['x', 'y'], 'fail', '["x","y"] does not contain "z"'],
    ['contains', { value: 'z' }, 5, 'fail', 'is 5, not a string or an array'],
    ['containsAny', { values: ['q', 'y'] }, ['x', 'y'], 'pass', 'contains any of ["q", "y"]'],
    ['containsAll', { values: ['x', 'q'] }, ['x', 'y'], 'fail', '["x","y"] lacks ["q"]'],
    ['regex', { pattern: '^arn:aws:kms:' }, 'arn:aws:kms:us-east-1:1:key/k', 'pass', 'matches /^arn:aws:kms:/'],
    ['regex', { pattern: '^ALIAS/', ignoreCase: true }, 'alias/x', 'pass', 'matches'],
    ['regex', { pattern: 'x' }, 7, 'fail', 'is 7, not a string'],
    [
      'glob',
      { pattern: 'arn:aws:cloudtrail:*:{{snapshot.account.id}}:trail/*' },
      'arn:aws:cloudtrail:us-east-1:111122223333:trail/t',
      'pass',
      'matches',
    ],
    ['glob', { pattern: 'a?c' }, 'abbc', 'fail', 'does not match a?c'],
    ['startsWith', { value: 'alias/' }, 'alias/x', 'pass', 'starts with "alias/"'],
    ['endsWith', { value: '.json.gz' }, 'x.json', 'fail', 'does not end with ".json.gz"'],
    ['length', { min: 1, max: 2 }, ['a'], 'pass', 'has length 1, within 1…2'],
    ['length', { max: 2 }, 'abc', 'fail', 'has length 3, outside 0…2'],
    ['length', { min: 1 }, { a: 1 }, 'pass', 'has length 1'],
    ['length', { min: 1 }, 4, 'fail', 'which has no length'],
    ['type', { type: 'array' }, [], 'pass', 'is an array'],
    ['type', { type: 'integer' }, 1.5, 'fail', 'not of type integer'],
    ['type', { type: 'null' }, null, 'pass', 'is a null'],
    ['iam-action-matches', { action: 'kms:Decrypt' }, 'kms:*', 'pass', '"kms:*" covers kms:Decrypt'],
    ['iam-action-matches', { action: 'kms:GenerateDataKey' }, ['kms:Encrypt', 'KMS:generate*'], 'pass', 'covers'],
    ['iam-action-matches', { action: 'kms:Decrypt' }, ['kms:Encrypt'], 'fail', 'does not cover kms:Decrypt'],
  ] as const)('%s %j on %j: %s', (op, options, value, status, reason) => {
    const result = run(op, options, value);
    expect(result.status).toBe(status);
    expect(result.reason).toContain(reason);
  });
});

describe('matches operators', () => {
  it.each([
    ['exists', ['arn'], 'pass', 'is set'],
    ['exists', [], 'fail', 'is not set'],
    ['exists', [''], 'fail', 'is empty'],
    ['exists', [null], 'fail', 'is empty'],
    ['absent', [], 'pass', 'is not set'],
    ['absent', [''], 'pass', 'is not set'],
    ['absent', ['x'], 'fail', 'is set ("x")'],
  ] as const)('%s on %j: %s', (op, values, status, reason) => {
    expect(run(op, {}, values)).toEqual({ status, reason });
  });
});

describe('the catalogue', () => {
  it('every operator has a summary and a schema for its options', () => {
    for (const op of OPERATORS.values()) {
      expect(op.summary.length, op.name).toBeGreaterThan(10);
      expect(typeof op.options.properties, op.name).toBe('object');
    }
  });
});
