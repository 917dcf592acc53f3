import { readFileSync } from 'node:fs';

// The baseline the benchmark compares with: read a snapshot and JSON.parse it in a bare node process.
const document = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { trails: unknown[] };
if (!Array.isArray(document.trails)) process.exitCode = 1;
