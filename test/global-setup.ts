import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds `dist/` from the sources before any test runs: a third of the suites run the built CLI, and without this
 * `npx vitest` after an edit would test yesterday's build. TypeScript 7 builds the project in about a second. The steps
 * are `npm run build`'s.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  // A module moved or deleted must not live on in dist/ for the CLI to import.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  // As `npm run build`: the schema validators compiled ahead of time (scripts/compile-validators.ts).
  execFileSync(process.execPath, [join(root, 'dist', 'scripts', 'compile-validators.js')], { cwd: root, stdio: 'inherit' });
  chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);
}
