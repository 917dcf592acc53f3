import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeAjv, schemaHash } from '../../engine/input/schema-validation.js';
import { OPERATORS } from '../../engine/operators/index.js';
import { assertionSchema } from '../../engine/rules/compile-assertion.js';
import { ROOT } from '../helpers/cli.js';

// The validators `npm run build` compiles ahead of time (dist/engine/input/validators.cjs) must be the schemas' own:
// each records its schema's hash, agrees with ajv compiling the schema now on valid and invalid documents, and is
// passed over when the schema it was compiled from is not the one asked for.

type Validate = (data: unknown) => boolean;
const built = createRequire(import.meta.url)(join(ROOT, 'dist', 'engine', 'input', 'validators.cjs')) as {
  validators: Record<string, { hash: string; validate: Validate }>;
};
const schemaFiles = readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'));
const schemaOf = (file: string) => JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as object;

/** Documents of each kind, valid ones from the repository and a broken copy of each. */
function samples(file: string): { valid: unknown[]; all: unknown[] } {
  const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
  const yaml = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
  const valid: unknown[] = {
    'snapshot-v1.schema.json': [json('examples/compliant/snapshot.json'), json('examples/non-compliant/snapshot.json')],
    'rule-v1.schema.json': [
      yaml('rules/cis-cloudtrail-kms/cloudtrail-sse-kms.yaml'),
      yaml('examples/custom-pack/kms-key-not-open-to-everyone.yaml'),
    ],
    'pack-v1.schema.json': [yaml('examples/custom-pack/pack.yaml')],
    'rule-tests-v1.schema.json': [yaml('rules/cis-cloudtrail-kms/cloudtrail-sse-kms.tests.yaml')],
    'waivers-v1.schema.json': [[{ rule: 'r', resource: 'arn:*', reason: 'why', owner: 'me', expires: '2099-01-01' }]],
    'results-v1.schema.json': [],
    'results-v2.schema.json': [],
  }[file] ?? [{}];
  const broken = valid.map((v) => (Array.isArray(v) ? [...v, 5] : { ...(v as object), unexpected: 1 }));
  return { valid, all: [...valid, ...broken, 5, null, []] };
}

describe('validators compiled at build time', () => {
  it.each(schemaFiles)('%s: the build compiled this schema, and agrees with ajv', (file) => {
    const schema = schemaOf(file);
    const entry = built.validators[file];
    expect(entry?.hash).toBe(schemaHash(schema));
    const now = makeAjv(false).compile(schema);
    const { valid, all } = samples(file);
    for (const sample of valid) expect(now(sample)).toBe(true);
    for (const sample of all) expect(entry?.validate(sample), JSON.stringify(sample).slice(0, 80)).toBe(now(sample));
  });

  it('every operator has its assertion schema compiled', () => {
    for (const op of OPERATORS.values()) expect(built.validators[`operator:${op.name}`]?.hash).toBe(schemaHash(assertionSchema(op)));
    expect(Object.keys(built.validators)).toHaveLength(schemaFiles.length + OPERATORS.size);
  });

  it('a validator compiled from another schema is never used', async () => {
    const { compileSchemaValidator } = (await import(
      join(ROOT, 'dist', 'engine', 'input', 'schema-validation.js')
    )) as typeof import('../../engine/input/schema-validation.js');
    const pack = { name: 'p', version: '1' };
    expect(compileSchemaValidator(schemaOf('pack-v1.schema.json'), 'pack-v1.schema.json').validate(pack)).toEqual([]);
    // The same name, a schema that now asks for more: the build's validator (which would pass) is not used.
    const stricter = { ...schemaOf('pack-v1.schema.json'), required: ['name', 'version', 'rules'] };
    expect(
      compileSchemaValidator(stricter, 'pack-v1.schema.json')
        .validate(pack)
        .map((p) => p.message),
    ).toEqual(['(document) is missing the required property rules']);
  });
});
