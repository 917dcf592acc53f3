import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, tempDir } from '../helpers/cli.js';

/** C0 controls (but tab and line breaks), DEL, C1 controls, and what XML 1.0 forbids: never raw in any output. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters looked for
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const XML_FORBIDDEN = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

let snapshot: string;

beforeAll(() => {
  const dir = tempDir();
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/non-compliant/snapshot.json'), 'utf8')) as { trails: { Name: string }[] };
  // A bell, an escape sequence, a C1 CSI, a non-character and a lone surrogate in a trail's name, which messages quote.
  for (const trail of example.trails)
    if (trail.Name === 'perimeter-deny') trail.Name = 'bell\u0007 esc\u001b[2J csi\u009b2J nc\ufffe lone\ud800 end';
  snapshot = join(dir, 'control.json');
  writeFileSync(snapshot, JSON.stringify(example));
});

describe('control characters from a snapshot never reach an output raw', () => {
  it.each(['json', 'markdown', 'html', 'sarif', 'junit', 'csv'])('--format %s', async (format) => {
    const run = await cli(['check', snapshot, '--format', format]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('bell');
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    if (format === 'junit') {
      expect(run.stdout).not.toMatch(XML_FORBIDDEN);
      expect(XMLValidator.validate(run.stdout)).toBe(true);
    }
  });
});
