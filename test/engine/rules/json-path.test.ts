import { describe, expect, it } from 'vitest';
import { compilePath, JsonPathSyntaxError } from '../../../engine/rules/json-path.js';

const doc = { a: { 'b c': [1, 2, 3], 'x.y': 'dot' }, list: [{ n: 1 }, { n: 2 }], deep: { inner: { n: 3 } } };

describe('JSONPath subset', () => {
  it.each([
    ['$', [doc]],
    ['$.a.x', []],
    ["$.a['x.y']", ['dot']],
    ['$.a["b c"][1]', [2]],
    ["$.a['b c'][*]", [1, 2, 3]],
    ["$.a['b c'][0:2]", [1, 2]],
    ["$.a['b c'][0,2]", [1, 3]],
    ['$.list[*].n', [1, 2]],
    ['$..n', [1, 2, 3]],
    ['$.deep.*', [{ n: 3 }]],
  ])('%s selects %j', (path, expected) => {
    expect(compilePath(path).query(doc)).toEqual(expected);
  });

  it('reads own properties only', () => {
    expect(compilePath('$.constructor').query({})).toEqual([]);
    expect(compilePath('$.__proto__').query({})).toEqual([]);
    expect(compilePath('$.a').query(null)).toEqual([]);
  });

  it.each([
    ['a.b', 'a JSONPath starts with $'],
    ['$.a[', 'unclosed ['],
    ["$['a]", 'unterminated quoted name'],
    ['$.', 'expected a property name after .'],
    ['$.a b', 'unexpected " "'],
    ['$[?(@.x)]', 'script and filter expressions'],
    ['$.a[(@.length-1)]', 'script and filter expressions'],
    ['$.a[foo]', 'is not an index, slice, union of indexes'],
    ['$.a^', 'unexpected "^"'],
  ])('rejects %s', (path, message) => {
    expect(() => compilePath(path)).toThrow(JsonPathSyntaxError);
    expect(() => compilePath(path)).toThrow(message);
  });
});
