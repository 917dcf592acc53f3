import { readJsonFile } from '../engine/input/documents.js';

// The floor for a snapshot past the longest string Node.js holds, which JSON.parse cannot read: trailguard's own
// chunked reader (engine/input/json-stream.ts), alone in a bare node process.
for (const file of process.argv.slice(2)) {
  const { data } = await readJsonFile(file, 'snapshot');
  if (!Array.isArray((data as { trails?: unknown }).trails)) process.exitCode = 1;
}
