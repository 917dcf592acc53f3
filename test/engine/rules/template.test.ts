import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateSyntaxError } from '../../../engine/template/template.js';

describe('message templates', () => {
  const scope = { resource: { Name: 'main', Tags: ['a', 'b'], n: 3, flag: false }, key: null };

  it('renders dotted names and indexes, and reports the roots it reads', () => {
    const t = compileTemplate('Trail {{resource.Name}} ({{ resource.Tags[1] }}, {{resource.n}}, {{resource.flag}})');
    expect(t.render(scope)).toBe('Trail main (b, 3, false)');
    expect(t.roots).toEqual(['resource']);
  });

  it('renders a missing or null value as the empty string', () => {
    expect(compileTemplate('[{{key.arn}}][{{resource.Nope}}]').render(scope)).toBe('[][]');
  });

  it('does not read inherited properties', () => {
    expect(compileTemplate('{{resource.constructor}}{{resource.__proto__}}').render(scope)).toBe('');
  });

  it('gives the value itself when the template is one placeholder', () => {
    expect(compileTemplate('{{resource.Tags}}').value(scope)).toEqual(['a', 'b']);
    expect(compileTemplate('x{{resource.Tags}}').value(scope)).toBe('x["a","b"]');
  });

  it.each(['{{resource.Name | upper}}', '{{#if x}}', '{{ a + b }}', 'open {{resource.Name'])('rejects %s', (source) => {
    expect(() => compileTemplate(source)).toThrow(TemplateSyntaxError);
  });
});
