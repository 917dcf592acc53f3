import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../engine/operators/index.js';
import { FORMATS } from '../engine/render/formats.js';
import { HELPERS } from '../engine/render/handlebars-env.js';
import { loadRulePacks } from '../engine/rules/load-rules.js';
import { LOOKUPS } from '../engine/rules/lookups.js';
import { cli, ROOT, tempDir } from './helpers/cli.js';

const rulesDoc = readFileSync(join(ROOT, 'docs', 'rules.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const templatesDoc = readFileSync(join(ROOT, 'docs', 'templates.md'), 'utf8');

describe('documentation', () => {
  it.each([...OPERATORS.keys()])('docs/rules.md documents the operator %s under its own heading', (name) => {
    expect(rulesDoc).toContain(`\n### ${name}\n`);
  });

  it.each([...OPERATORS.keys()])('the example of the operator %s in docs/rules.md is a valid assertion', async (name) => {
    const section = rulesDoc.slice(rulesDoc.indexOf(`\n### ${name}\n`)).split(/\n##+ /)[1] ?? '';
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? /`(- \{ path: [^`]*)`/.exec(section)?.[1];
    expect(example, `an example under ### ${name}`).toBeDefined();
    const dir = join(tempDir(), 'pack');
    mkdirSync(dir);
    const item = (example as string).trimEnd().replaceAll('\n', '\n  ');
    writeFileSync(
      join(dir, 'example.yaml'),
      `id: example\ntitle: t\nseverity: low\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\nlet:\n  trail: { arn: $.TrailARN }\n  key: { lookup: kms-key, of: $.KmsKeyId }\nassert:\n  ${item}\n`,
    );
    const [pack] = await loadRulePacks([dir]);
    expect(pack?.rules[0]?.assertions[0]?.op).toBe(name);
  });

  it.each([...LOOKUPS.keys()])('docs/rules.md documents the lookup %s', (name) => {
    expect(rulesDoc).toContain(`**\`${name}\`**`);
  });

  it.each(Object.keys(HELPERS))('docs/templates.md documents the template helper %s under its own heading', (name) => {
    expect(templatesDoc).toContain(`\n#### ${name}\n`);
  });

  it.each([...FORMATS.keys()])('docs/templates.md and the README list the format %s', (name) => {
    expect(templatesDoc).toContain(`| \`${name}\` |`);
    expect(readme).toMatch(new RegExp(`\`(--format )?${name}\``));
  });

  it('the README holds the two set-up commands that .ci/run relies on', () => {
    expect(readme).toContain('npm ci && npx trailguard check examples/non-compliant/snapshot.json --format markdown');
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('npm test');
  });
});

describe('rules are data', () => {
  it('no TypeScript in engine/ or cli/ knows a built-in rule id', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [],
      );
    const ids = readdirSync(join(ROOT, 'rules', 'cis-cloudtrail-kms'))
      .filter((f) => f.endsWith('.yaml') && f !== 'pack.yaml' && !f.endsWith('.tests.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(ids).toHaveLength(5);
    for (const file of [...files(join(ROOT, 'engine')), ...files(join(ROOT, 'cli'))]) {
      const text = readFileSync(file, 'utf8');
      for (const id of ids) expect(text.includes(id), `${file} names ${id}`).toBe(false);
    }
  });
});

describe('the collector documentation', () => {
  it('the README shows exactly the shipped read-only IAM policy', () => {
    const policy = JSON.parse(readFileSync(join(ROOT, 'collectors', 'iam-policy.json'), 'utf8')) as unknown;
    const block = /\*\*Permissions\.\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(JSON.parse(block ?? 'null')).toEqual(policy);
  });

  it('the engine imports nothing from the collectors or the CLI', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [],
      );
    for (const file of files(join(ROOT, 'engine')))
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(\.\.\/)+(collectors|cli)\//);
  });

  it('collectors import nothing from the CLI, and from the engine only the snapshot validation check applies, its types and the safe quoting of text', () => {
    for (const file of readdirSync(join(ROOT, 'collectors')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, 'collectors', file), 'utf8');
      const imports = [...text.matchAll(/from '(\.\.\/[^']+)'/g)].map((m) => m[1]);
      const allowed: Record<string, string[]> = {
        'fit-snapshot.ts': ['../engine/core/errors.js', '../engine/snapshot/load-snapshot.js'],
        'api-error.ts': ['../engine/snapshot/types.js'],
        'collect-account.ts': ['../engine/core/safe-text.js'],
      };
      expect(imports, file).toEqual(allowed[file] ?? []);
    }
  });
});

describe('the rules tutorial', () => {
  it('runs as written: every file it shows, every command, its exit code and its output', async () => {
    const tutorial = rulesDoc.slice(rulesDoc.indexOf('## Tutorial'), rulesDoc.indexOf('\n## ', rulesDoc.indexOf('## Tutorial') + 5));
    const dir = tempDir();
    symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
    let commands = 0;
    for (const [, lang, body] of tutorial.matchAll(/```(yaml|console)\n([\s\S]*?)```/g)) {
      if (lang === 'yaml') {
        const file = /^# file: (\S+)\n/.exec(body as string);
        if (file === null) continue;
        mkdirSync(join(dir, dirname(file[1] as string)), { recursive: true });
        writeFileSync(join(dir, file[1] as string), (body as string).slice(file[0].length));
        continue;
      }
      const [command, ...output] = (body as string).trimEnd().split('\n');
      const parsed = /^\$ npx trailguard (.*?)(?:\s+# exits (\d))?$/.exec(command as string);
      if (parsed === null) throw new Error(`not a trailguard command: ${command}`);
      const args = (parsed[1] as string).split(' ');
      const run = await cli(args, { cwd: dir });
      expect(`${run.stdout}${run.stderr}`.trimEnd(), command).toBe(output.join('\n'));
      expect(run.code, command).toBe(Number(parsed[2] ?? 0));
      commands++;
    }
    expect(commands).toBe(7);
  });
});
