import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATORS } from '../engine/operators/index.js';
import { LOOKUPS } from '../engine/rules/lookups.js';
import { ROOT } from './helpers/cli.js';

const rulesDoc = readFileSync(join(ROOT, 'docs', 'rules.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('documentation', () => {
  it.each([...OPERATORS.keys()])('docs/rules.md documents the operator %s under its own heading', (name) => {
    expect(rulesDoc).toContain(`\n### ${name}\n`);
  });

  it.each([...LOOKUPS.keys()])('docs/rules.md documents the lookup %s', (name) => {
    expect(rulesDoc).toContain(`**\`${name}\`**`);
  });

  it('the README holds the two set-up commands that .ci/run relies on', () => {
    expect(readme).toContain('npm ci && npx trailguard check examples/non-compliant/snapshot.json --format markdown');
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('npm test');
  });
});
