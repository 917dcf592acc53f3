import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrailguardError } from '../../../engine/core/errors.js';
import { BUILTIN_PACK_DIR, loadRulePacks } from '../../../engine/rules/load-rules.js';
import { tempDir } from '../../helpers/cli.js';

async function problems(files: Record<string, string>): Promise<string[]> {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    await loadRulePacks([dir]);
    return [];
  } catch (error) {
    if (!(error instanceof TrailguardError)) throw error;
    return error.diagnostics.map((d) => `${d.line}:${d.column} ${d.message} [${d.code}]`);
  }
}

const head = 'title: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\n';

describe('loading rule packs', () => {
  it('loads the built-in pack in the order pack.yaml gives, with its version', async () => {
    const [pack] = await loadRulePacks([BUILTIN_PACK_DIR]);
    expect(pack?.name).toBe('cis-cloudtrail-kms');
    expect(pack?.version).toBe('1.0.0');
    expect(pack?.source).toBe('built-in');
    expect(pack?.rules.map((r) => r.info.id)).toEqual([
      'cloudtrail-sse-kms',
      'cloudtrail-key-policy-describe-key',
      'cloudtrail-key-policy-generate-data-key',
      'cloudtrail-key-policy-decrypt',
      'cloudtrail-kms-key-state',
    ]);
  });

  it('a folder without pack.yaml is a pack named after it, unversioned', async () => {
    const dir = join(tempDir(), 'my-pack');
    mkdirSync(dir);
    writeFileSync(join(dir, 'r.yaml'), `id: r\n${head}assert: [{ path: $.Name, op: exists }]\n`);
    const [pack] = await loadRulePacks([dir]);
    expect(pack).toMatchObject({ name: 'my-pack', version: 'unversioned' });
  });

  it.each([
    [
      'a binding with two kinds',
      'let:\n  k: { path: $.A, arn: $.B }\nassert: [{ path: $.Name, op: exists }]\n',
      '6:6 binding k needs exactly one of path, arn, template, join, lookup, found path and arn [rule-schema]',
    ],
    [
      'an argument that does not go with the kind',
      'let:\n  k: { path: $.A, with: "/" }\nassert: [{ path: $.Name, op: exists }]\n',
      '6:19 with does not go with path in binding k [rule-schema]',
    ],
    [
      'a misspelt operator option',
      'assert:\n  - { path: $.Name, op: equals, valeu: x }\n',
      [
        // One problem, told once: the misspelt name, with the one it meant (not also the required one missing).
        '6:33 assert[0].valeu is not a known property (did you mean value?) (operator equals) [operator-options]',
      ],
    ],
    [
      'probes with expect not-allowed',
      'assert:\n  - path: $.P\n    op: iam-policy\n    expect: not-allowed\n    request: { principal: { service: s }, action: a, resource: r }\n    confined: { probes: [{ name: p, without: [k] }] }\n',
      '6:5 confined probes only apply with expect: allowed (operator iam-policy) [operator-options]',
    ],
    [
      'a request principal of two kinds',
      'assert:\n  - path: $.P\n    op: iam-policy\n    request: { principal: { service: s, aws: "1" }, action: a, resource: r }\n',
      '6:5 request.principal needs exactly one of service, aws or namedByPolicy (operator iam-policy) [operator-options]',
    ],
    [
      'namedByPolicy with expect not-allowed',
      'assert:\n  - path: $.P\n    op: iam-policy\n    expect: not-allowed\n    request: { principal: { namedByPolicy: true, account: "1" }, action: a, resource: r }\n',
      '6:5 request.principal.namedByPolicy only applies with expect: allowed: to ask that no one else may make the request, use op: iam-grantees (who the policy grants it to, with only, none or noWildcard) (operator iam-policy) [operator-options]',
    ],
    [
      'a template with a helper',
      'assert: [{ path: $.Name, op: exists }]\nmessage: "{{resource.Name | upper}}"\n',
      '6:10 invalid template: {{resource.Name | upper}} is not a name such as {{resource.Name}} or {{key.arn}} [template]',
    ],
    [
      'a reserved binding name',
      'let:\n  verdict: { path: $.A }\nassert: [{ path: $.Name, op: exists }]\n',
      '6:3 let cannot use the reserved name "verdict" [rule-schema]',
    ],
  ])('reports %s at its place', async (_name, body, expected) => {
    expect(await problems({ 'r.yaml': `id: r\n${head}${body}` })).toEqual(Array.isArray(expected) ? expected : [expected]);
  });

  it('a folder without rule files is an error', async () => {
    expect(await problems({ 'notes.txt': 'x' })).toEqual(['undefined:undefined the rule pack holds no rule files (*.yaml) [no-rules]']);
  });
});

describe('rule parameters', () => {
  const rule = (params: string, assert = 'assert: [{ path: $.S3BucketName, op: in, values: "{{params.buckets}}" }]\n') =>
    `id: r\n${head}params:\n${params}${assert}message: "{{resource.S3BucketName}} not in {{params.buckets}}"\n`;
  const declared = '  buckets: { type: array, default: [logs-a] }\n';

  async function load(files: Record<string, string>, paramsFile?: string) {
    const dir = join(tempDir(), 'pack');
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    let params: string | undefined;
    if (paramsFile !== undefined) {
      params = join(dir, '..', 'params.yaml');
      writeFileSync(params, paramsFile);
    }
    return loadRulePacks([dir], { params });
  }

  it('a default is substituted whole (a list stays a list) and recorded in the rule info', async () => {
    const [pack] = await load({ 'r.yaml': rule(declared) });
    expect(pack?.rules[0]?.info.params).toEqual({ buckets: ['logs-a'] });
  });

  it('pack.yaml overrides the default, and a params file overrides pack.yaml', async () => {
    const packYaml = 'name: p\nversion: 1.0.0\nparams:\n  r:\n    buckets: [from-pack]\n';
    const [fromPack] = await load({ 'r.yaml': rule(declared), 'pack.yaml': packYaml });
    expect(fromPack?.rules[0]?.info.params).toEqual({ buckets: ['from-pack'] });
    const [fromFile] = await load({ 'r.yaml': rule(declared), 'pack.yaml': packYaml }, 'r:\n  buckets: [from-file]\n');
    expect(fromFile?.rules[0]?.info.params).toEqual({ buckets: ['from-file'] });
  });

  it('reports a parameter without a value, a wrong type, an undeclared one and an unknown rule, where they are written', async () => {
    await expect(load({ 'r.yaml': rule('  buckets: { type: array }\n') })).rejects.toThrow(
      /r\.yaml:6:3 parameter buckets has no default and no value is given: set it under params\.r in pack\.yaml or a --params file \[rule-schema\]/,
    );
    const error = await load({ 'r.yaml': rule(declared) }, 'r:\n  buckets: logs-b\n  bucket: [x]\nq:\n  x: 1\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailguardError);
    expect((error as TrailguardError).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '2:12 parameter buckets of r must be an array, found string "logs-b"',
      '3:11 r has no parameter "bucket": it declares buckets',
      '5:6 the params file sets parameters of "q", which is not a loaded rule',
    ]);
  });

  it('a reference to an undeclared parameter is reported at the reference', async () => {
    expect(await problems({ 'r.yaml': rule(declared, 'assert: [{ path: $.Name, op: equals, value: "{{params.bucket}}" }]\n') })).toEqual([
      '7:45 {{params.bucket}} names a parameter the rule does not declare under params [unknown-binding]',
    ]);
  });
});
