import { readFileSync } from 'node:fs';

// The baseline the benchmark compares with: read JSON files (snapshots, or saved results) and JSON.parse each in a
// bare node process. It exits 1 when a file is neither, so a broken input cannot pass for a fast baseline.
for (const file of process.argv.slice(2)) {
  const document = JSON.parse(readFileSync(file, 'utf8')) as { trails?: unknown; findings?: unknown };
  if (!Array.isArray(document.trails) && !Array.isArray(document.findings)) process.exitCode = 1;
}
