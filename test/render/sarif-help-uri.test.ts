import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

/** The helpUri SARIF gives a rule whose references are these. */
async function helpUri(references: readonly string[]): Promise<string | undefined> {
  const dir = join(tempDir(), 'pack');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'r.yaml'),
    `id: r\ntitle: t\nseverity: low\nreferences: ${JSON.stringify(references)}\nresources: { path: "$.trails[*]", id: TrailARN, type: T }\nassert: [{ path: $.Name, op: exists }]\n`,
  );
  const run = await cli(['check', 'examples/compliant/snapshot.json', '--rules', dir, '--no-builtin', '--format', 'sarif']);
  const log = JSON.parse(run.stdout) as { runs: { tool: { driver: { rules: { id: string; helpUri?: string }[] } } }[] };
  return log.runs[0]?.tool.driver.rules.find((r) => r.id === 'r')?.helpUri;
}

describe('SARIF helpUri', () => {
  it('is the first reference that is a well-formed https URL', async () => {
    expect(await helpUri(['CIS 3.1', 'http://example.com/a', 'https://docs.aws.amazon.com/a b', 'https://docs.aws.amazon.com/kms/'])).toBe(
      'https://docs.aws.amazon.com/kms/',
    );
    expect(await helpUri(['https://docs.aws.amazon.com'])).toBe('https://docs.aws.amazon.com');
  });

  it('twin: no reference that is a well-formed https URL gives no helpUri at all', async () => {
    expect(
      await helpUri(['https:\\\\evil.example', 'https://exa mple.com', 'javascript:alert(1)', 'https://a.example/\u0007']),
    ).toBeUndefined();
  });
});
