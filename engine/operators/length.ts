import { show, verdict } from './helpers.js';
import type { ValueOperator } from './types.js';

const COUNT = { type: 'integer', minimum: 0 };

export const length: ValueOperator = {
  name: 'length',
  kind: 'value',
  summary: 'the length of a string or array (or the number of keys of an object) is within `min`…`max`',
  options: { properties: { min: COUNT, max: COUNT } },
  compile(options) {
    const min = typeof options.min === 'number' ? options.min : 0;
    const max = typeof options.max === 'number' ? options.max : Number.POSITIVE_INFINITY;
    const bounds = `${min}…${max === Number.POSITIVE_INFINITY ? '∞' : max}`;
    return (value) => {
      const size =
        typeof value === 'string' || Array.isArray(value)
          ? value.length
          : value !== null && typeof value === 'object'
            ? Object.keys(value).length
            : undefined;
      if (size === undefined) return { status: 'fail', reason: `is ${show(value)}, which has no length` };
      return verdict(size >= min && size <= max, `has length ${size}, within ${bounds}`, `has length ${size}, outside ${bounds}`);
    };
  },
};

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export const type: ValueOperator = {
  name: 'type',
  kind: 'value',
  summary: 'the value has the JSON type `type` (string, number, integer, boolean, object, array, null)',
  options: { properties: { type: { enum: TYPES } }, required: ['type'] },
  compile(options) {
    const wanted = String(options.type);
    return (value) => {
      const actual = typeOf(value);
      const ok = actual === wanted || (wanted === 'integer' && Number.isInteger(value));
      return verdict(
        ok,
        `is ${wanted === 'array' || wanted === 'object' || wanted === 'integer' ? 'an' : 'a'} ${wanted}`,
        `is ${show(value)}, not of type ${wanted}`,
      );
    };
  },
};
