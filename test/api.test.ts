import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiMarkdown, apiReference } from './helpers/api-reference.js';
import { ROOT } from './helpers/cli.js';

/** The engine's public API is the one door: documented, complete for the CLI, and usable as a library. */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)));
}

describe('the public API', () => {
  it('every export has a TSDoc comment, and docs/api.md is the reference generated from them', async () => {
    const sections = apiReference(ROOT);
    const undocumented = sections.flatMap((s) => s.entries).filter((e) => e.doc === '');
    expect(undocumented.map((e) => `${e.name} (${e.file})`)).toEqual([]);
    await expect(apiMarkdown(sections)).toMatchFileSnapshot(join(ROOT, 'docs', 'api.md'));
  });

  it('the CLI imports the engine only through engine/index.ts', () => {
    const reaching = sources('cli').flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith('engine/') && target !== 'engine/index.js')
        .map((target) => `${file} → ${target}`),
    );
    expect(reaching).toEqual([]);
  });

  it('no folder of the code imports a folder that imports it back', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of [...sources('engine'), ...sources('cli'), ...sources('collectors')]) {
      for (const target of imports(file)) {
        const [from, to] = [dirname(file), dirname(target)];
        if (from !== to) edges.set(from, new Set([...(edges.get(from) ?? []), to]));
      }
    }
    const cycles = [...edges].flatMap(([from, tos]) => [...tos].filter((to) => edges.get(to)?.has(from)).map((to) => `${from} ↔ ${to}`));
    expect(cycles).toEqual([]);
  });

  it('the library example checks a snapshot held in memory', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'examples', 'library', 'check-in-memory.mjs')], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'pass    cloudtrail-sse-kms',
      'pass    cloudtrail-key-policy-describe-key',
      'fail    cloudtrail-key-policy-generate-data-key',
      'fail    cloudtrail-key-policy-decrypt',
      'pass    cloudtrail-kms-key-state',
      '5 findings, 2 failing',
      expect.stringMatching(/^status,severity,rule_id,/),
      '',
    ]);
  });
});
