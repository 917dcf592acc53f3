import { describe, expect, it } from 'vitest';
import { duplicateKeys } from '../../engine/input/json-duplicates.js';

describe('duplicateKeys', () => {
  it('finds a name repeated in a nested object, with the pointer of that object and the offset of the repeat', () => {
    const text = '{"Statement":[1,{"Effect":"Allow","Effect":"Deny"}],"Version":"2012-10-17"}';
    expect(duplicateKeys(text)).toEqual([{ pointer: '/Statement/1', key: 'Effect', offset: text.lastIndexOf('"Effect"') }]);
  });

  it('the twin: the same names in sibling objects are not repeats', () => {
    expect(duplicateKeys('{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}')).toEqual([]);
  });

  it('scans only the value that starts at the offset', () => {
    const text = '{"keys":{"k":{"policy":{"Sid":"a","Sid":"b"}}},"trails":{"x":1,"x":2}}';
    const start = text.indexOf('{"policy"');
    expect(duplicateKeys(text, start).map((d) => `${d.pointer} ${d.key}`)).toEqual(['/policy Sid']);
    expect(duplicateKeys(text).map((d) => `${d.pointer} ${d.key}`)).toEqual(['/keys/k/policy Sid', '/trails x']);
  });

  it('escapes / and ~ in pointers', () => {
    expect(duplicateKeys('{"a/b~c":{"k":1,"k":2}}')[0]?.pointer).toBe('/a~1b~0c');
  });
});
