import { readFileSync } from 'node:fs';

// The baseline the benchmark compares with: read a JSON file (a snapshot, or saved results) and JSON.parse it in a
// bare node process. It exits 1 when the file is neither, so a broken input cannot pass for a fast baseline.
const document = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { trails?: unknown; findings?: unknown };
if (!Array.isArray(document.trails) && !Array.isArray(document.findings)) process.exitCode = 1;
