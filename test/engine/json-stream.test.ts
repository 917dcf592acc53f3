import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrailguardError } from '../../engine/core/errors.js';
import { readJsonFile } from '../../engine/input/documents.js';
import { ROOT, tempDir } from '../helpers/cli.js';

// Snapshot and results files past the longest string Node.js holds are read in chunks (engine/input/json-stream.ts).
// Read both ways, a file must give the same data, hash, repeated names, problems and locations: the tests force
// the chunked reader on small files with `streamAbove` 0.

const dir = tempDir();
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function bothWays(path: string) {
  const read = (streamAbove?: number) =>
    readJsonFile(path, 'snapshot', undefined, streamAbove).then(
      (document) => ({ document, problems: undefined }),
      (error: unknown) => {
        if (!(error instanceof TrailguardError)) throw error;
        return { document: undefined, problems: error.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`) };
      },
    );
  return { whole: await read(), streamed: await read(0) };
}

/** Up to `max` pointers into a value, breadth first. */
function pointers(value: unknown, max = 300): string[] {
  const out: string[] = [];
  const queue: [string, unknown][] = [['', value]];
  while (queue.length > 0 && out.length < max) {
    const [pointer, v] = queue.shift() as [string, unknown];
    out.push(pointer);
    if (v !== null && typeof v === 'object')
      for (const [k, child] of Object.entries(v)) queue.push([`${pointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, child]);
  }
  return out;
}

describe('large JSON files read in chunks', () => {
  it.each(['examples/compliant/snapshot.json', 'examples/non-compliant/snapshot.json', 'examples/organisation/log-archive-snapshot.json'])(
    '%s: the same data, hash and location of every value and name',
    async (example) => {
      const { whole, streamed } = await bothWays(join(ROOT, example));
      expect(streamed.document?.data).toEqual(whole.document?.data);
      expect(streamed.document?.sha256).toBe(whole.document?.sha256);
      for (const pointer of pointers(whole.document?.data)) {
        expect(streamed.document?.locate(pointer), pointer).toEqual(whole.document?.locate(pointer));
        expect(streamed.document?.locate(pointer, true), pointer).toEqual(whole.document?.locate(pointer, true));
      }
    },
  );

  it.each([
    ['a missing value', '{"a": }', ['1:7 json-syntax']],
    ['a missing colon', '{\n  "a" 1}', ['2:7 json-syntax']],
    ['two commas', '[1,,2]', ['1:4 json-syntax']],
    ['a trailing comma', '{"a":1,}', ['1:8 json-syntax']],
    ['text after the document', '{"a":1} x', ['1:9 json-syntax']],
    ['an empty file', '', ['1:1 json-syntax']],
    ['a cut-off document', '{\n  "a": [1,\n 2\n', ['4:1 json-syntax']],
    ['a repeated name', '{"a":1,\n"a":2}', ['2:1 json-duplicate']],
    ['a name repeated deep inside', '{"x":{"b":[{"c":1,"c":2}]}}', ['1:19 json-duplicate']],
  ])('%s: the same problem at the same place', async (_, text, expected) => {
    const { whole, streamed } = await bothWays(file('bad.json', text));
    expect(whole.problems).toEqual(expected);
    expect(streamed.problems).toEqual(expected);
  });

  it('a byte-order mark, "__proto__" as a name, numbers and escapes come out as JSON.parse gives them', async () => {
    const text = '\ufeff{"__proto__": {"polluted": true}, "n": [1e400, -0, 0.1, 12345678901234567890], "s": "\\u00e9\\ud83d\\ude00\\n"}';
    const { whole, streamed } = await bothWays(file('odd.json', text));
    expect(streamed.document?.data).toEqual(whole.document?.data);
    expect(Object.hasOwn(streamed.document?.data as object, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('bytes that are not UTF-8: the same one-line problem', async () => {
    const { whole, streamed } = await bothWays(file('latin1.json', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d])));
    expect(whole.problems).toEqual(['undefined:undefined encoding']);
    expect(streamed.problems).toEqual(whole.problems);
  });

  it('lines longer than a chunk, and many chunks of lines: locations agree to the character', async () => {
    const long = { pad: 'é'.repeat(1_500_000), list: Array.from({ length: 3 }, (_, i) => ({ name: `n${i}`, v: '😀'.repeat(400_000) })) };
    const oneLine = file('one-line.json', JSON.stringify(long));
    const manyLines = file(
      'many-lines.json',
      JSON.stringify({ trails: Array.from({ length: 40_000 }, (_, i) => ({ Name: `t${i}`, x: 'ü'.repeat(i % 50) })) }, null, 2),
    );
    for (const path of [oneLine, manyLines]) {
      const { whole, streamed } = await bothWays(path);
      for (const pointer of ['/list/2/name', '/list/1/v', '/trails/39999/Name', '/trails/20000', '/pad']) {
        expect(streamed.document?.locate(pointer), pointer).toEqual(whole.document?.locate(pointer));
      }
    }
    expect(readFileSync(manyLines).length).toBeGreaterThan(2 << 20);
  });

  it('by default, a file past 512 MiB is read in chunks, and one past 4 GiB is refused in one line', async () => {
    // Sparse files: the size is real, the disk holds nothing. Zero bytes are not JSON: the chunked reader says so.
    const big = join(dir, 'big.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 600 * 1024 * 1024);
    closeSync(fd);
    await expect(readJsonFile(big, 'snapshot')).rejects.toMatchObject({ diagnostics: [{ code: 'json-syntax', line: 1, column: 1 }] });
    const huge = join(dir, 'huge.json');
    const fd2 = openSync(huge, 'w');
    ftruncateSync(fd2, 5 * 1024 * 1024 * 1024);
    closeSync(fd2);
    await expect(readJsonFile(huge, 'snapshot')).rejects.toMatchObject({
      diagnostics: [
        {
          code: 'input-too-large',
          message:
            'snapshot is 5120 MiB: trailguard reads a snapshot of at most 4096 MiB; collect the account in parts (--regions) and check the snapshots together',
        },
      ],
    });
  });
});
