import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const firstLines = (markdown: string, n: number) => markdown.split('\n').slice(0, n).join('\n');

describe('the report opens on what ran and how it came out', () => {
  it('the title names the packs that ran: the CIS control for the built-in pack, the pack names otherwise', async () => {
    const builtin = await cli(['check', 'examples/compliant/snapshot.json', '--format', 'markdown-full']);
    expect(builtin.stdout.split('\n')[0]).toBe('# Evidence report: CloudTrail logs encrypted at rest using KMS CMKs');
    const custom = await cli([
      'check',
      'examples/compliant/snapshot.json',
      '--rules',
      'examples/custom-pack',
      '--no-builtin',
      '--format',
      'markdown',
    ]);
    expect(custom.stdout.split('\n')[0]).toBe('# Evidence report: example-custom');
    const both = await cli(['check', 'examples/compliant/snapshot.json', '--rules', 'examples/audit-pack', '--format', 'markdown-full']);
    expect(both.stdout.split('\n')[0]).toBe('# Evidence report: CloudTrail logs encrypted at rest using KMS CMKs · example-audit');
    const html = await cli([
      'check',
      'examples/compliant/snapshot.json',
      '--rules',
      'examples/custom-pack',
      '--no-builtin',
      '--format',
      'html',
    ]);
    expect(html.stdout).toContain('<title>trailguard evidence report: example-custom</title>');
  });

  it('the verdict: fails, passes, or passes with coverage incomplete', async () => {
    const fails = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'markdown-full']);
    expect(firstLines(fails.stdout, 6)).toContain(
      '> **Fails**: 10 finding(s) fail the run (fail or error at or above info); 9 of 9 resource(s) need attention; coverage is **incomplete**.',
    );
    const passes = await cli(['check', 'examples/compliant/snapshot.json', '--format', 'markdown-full']);
    expect(firstLines(passes.stdout, 6)).toContain('> **Passes**: 0 finding(s) fail the run');
    // Failing only at critical: nothing fails the run, but a Region was not listed.
    const incomplete = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'markdown-full', '--fail-on', 'critical']);
    expect(firstLines(incomplete.stdout, 6)).toContain(
      '> **Passes, but coverage is incomplete**: 0 finding(s) fail the run (fail or error at or above critical)',
    );
  });

  it('the scope names every account that owns a trail or key, not only those snapshots were taken in', async () => {
    const run = await cli([
      'check',
      'examples/organisation/member-snapshot.json',
      'examples/organisation/log-archive-snapshot.json',
      '--format',
      'markdown-full',
    ]);
    expect(run.stdout).toContain('Accounts: 123456789012, 210987654321, 333344445555.');
  });
});

describe('each failing key links to its combined fix', () => {
  it('Markdown: every trail whose key policy fails points at one combined fix per key, with the command that proves it', async () => {
    const run = await cli(['check', 'examples/non-compliant/snapshot.json', '--format', 'markdown-full']);
    const section = run.stdout.slice(run.stdout.indexOf('\n## Fixes by key\n'), run.stdout.indexOf('\n## Summary\n'));
    expect(section.match(/^<a id="key-fix-\d+"><\/a>$/gm)).toEqual(['<a id="key-fix-0"></a>', '<a id="key-fix-1"></a>']);
    expect(section).toContain('trailguard fix examples/non-compliant/snapshot.json --out-dir fixes');
    const links = run.stdout.match(/\[the key's combined fix\]\(#key-fix-\d+\)/g) ?? [];
    expect(links).toHaveLength(2);
    // Twin: the compliant example has no key to fix, and no such section.
    const compliant = await cli(['check', 'examples/compliant/snapshot.json', '--format', 'markdown-full']);
    expect(compliant.stdout).not.toContain('## Fixes by key');
  });
});
