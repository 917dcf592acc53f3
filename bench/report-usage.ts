import { writeFileSync } from 'node:fs';

// Preloaded (node --import) into each measured process: records its peak resident memory when it exits.
const target = process.env.TRAILGUARD_BENCH_USAGE;
if (target !== undefined) {
  process.on('exit', () => {
    writeFileSync(target, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
  });
}
