import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { compileSchemaValidator } from '../../engine/input/schema-validation.js';
import { resolveResults } from '../../engine/results/references.js';

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
// Registered while the test file that imports this helper is collected: its folders go when its tests end, so
// runs do not pile them up in /tmp.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary folder, removed when the test file's tests end. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trailguard-test-'));
  made.push(dir);
  return dir;
}

const resultsSchema = compileSchemaValidator(JSON.parse(readFileSync(join(ROOT, 'schemas', 'results-v2.schema.json'), 'utf8')) as object);

/**
 * The results `check --format json` wrote: checked against schemas/results-v2.schema.json (a problem throws), then
 * with resources and shared evidence resolved into each finding, as a reader of the file sees them.
 */
export function resultsOf<T>(json: string): T {
  const data = JSON.parse(json) as unknown;
  const problems = resultsSchema.validate(data);
  if (problems.length > 0) throw new Error(`results do not match the results schema: ${problems.map((p) => p.message).join('; ')}`);
  return resolveResults(data) as unknown as T;
}
