import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareOutput, writeOutput } from '../../cli/write-output.js';
import { cli, tempDir } from '../helpers/cli.js';

// The writer encodes chunks into one-megabyte batches: whatever the chunks' sizes and characters, the file holds
// exactly their text, in order, with nothing lost at a batch's edge.
describe('writeOutput', () => {
  it('writes chunks of every size and width exactly, across batch edges', async () => {
    const pieces = ['a', 'é', '€', '😀', '漢', '\u2028'];
    const chunks: string[] = [];
    for (let i = 0; i < 5000; i++) chunks.push((pieces[i % pieces.length] as string).repeat(1 + ((i * 7919) % 700)));
    chunks.push('€'.repeat(400_000), 'tail', '😀'.repeat(200_000), '', 'end\n');
    const out = join(tempDir(), 'out.txt');
    await writeOutput(chunks, await prepareOutput(out));
    const written = readFileSync(out, 'utf8');
    expect(written.length).toBe(chunks.join('').length);
    expect(written).toBe(chunks.join(''));
  });
});

describe('--out without a name', () => {
  it('`--out -` (an empty name to yargs) is a usage error that says how to write to standard output', async () => {
    for (const out of ['-', '']) {
      const run = await cli(['check', 'examples/compliant/snapshot.json', '--out', out]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        'trailguard: --out needs a file name, found none (leave --out out, or give /dev/stdout, to write to standard output) [usage]\n',
      );
    }
  });
});
