import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../../engine/operators/index.js';
import { ROOT } from '../helpers/cli.js';

type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/**
 * trailguard compiles its schemas without checking them against the JSON Schema meta-schema (that check took a third
 * of the start-up time): here they are checked, once, every one that ships and every operator's options.
 */
describe('the schemas trailguard ships', () => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, validateSchema: true });
  addFormats(ajv, ['date', 'date-time', 'uri']);

  it.each(readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.json')))('%s is a valid JSON Schema', (file) => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as object;
    expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
  });

  it.each([...OPERATORS.values()].map((op) => [op.name, op] as const))("operator %s's options are a valid JSON Schema", (_, op) => {
    const schema = { type: 'object', properties: op.options.properties, required: [...(op.options.required ?? [])] };
    expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
  });

  it('an invalid schema is caught here', () => {
    expect(ajv.validateSchema({ type: 'objekt' })).toBe(false);
  });
});
