import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'cli', 'main.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (dist/, built by `npm test`) from the repository root. */
export function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const settings = { cwd: options.cwd ?? ROOT, maxBuffer: 256 * 1024 * 1024, ...(options.env === undefined ? {} : { env: options.env }) };
    execFile(process.execPath, [BIN, ...args], settings, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

const made: string[] = [];
// Each test file runs in its own process: its folders go when it ends, so runs do not pile them up in /tmp.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary folder, removed when the test process ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trailguard-test-'));
  made.push(dir);
  return dir;
}
