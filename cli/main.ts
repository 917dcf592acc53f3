#!/usr/bin/env node
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { TempNotice } from './temp-files.js';
import type { Question, WorkerArgs } from './terminal.js';

/**
 * The command runs in a worker thread; this thread answers signals and relays the exit code. Evaluating and
 * rendering a large report is long synchronous work: on this thread it would hold off Ctrl-C, SIGTERM and SIGHUP
 * until it finished. Here a signal is answered at once: the worker's temporary files are removed and the process
 * exits with 128 + the signal's number.
 */
const temps = new Set<string>();
const workerData: WorkerArgs = {
  argv: process.argv.slice(2),
  stderrIsTTY: process.stderr.isTTY === true,
  columns: process.stdout.columns,
  stdinIsTTY: process.stdin.isTTY === true,
};
const worker = new Worker(new URL('./run-command.js', import.meta.url), { workerData });
worker.on('message', (message: TempNotice | Question) => {
  // A question (`fix --apply` asks before it writes) is put to the terminal here, where its input is.
  if ('question' in message) {
    void ask(message.question).then((answer) => worker.postMessage({ answer }));
    return;
  }
  if (message.writing) temps.add(message.temp);
  else temps.delete(message.temp);
});

/** Writes the question to standard error and reads one line of standard input, then lets go of it. */
async function ask(question: string): Promise<string> {
  process.stderr.write(question);
  const lines = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    lines.once('line', resolve);
    lines.once('close', () => resolve(''));
  });
  lines.close();
  process.stdin.pause();
  return answer;
}
worker.on('exit', (code) => {
  process.exitCode = code;
});
worker.on('error', (error: Error & { code?: string }) => {
  // The inputs' sizes are checked before they are read, but the evaluation of many large ones can still outgrow
  // the memory Node.js gives a thread: that is a limit of the machine, said in one line, not a crash.
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    process.stderr.write(
      'trailguard: out of memory: the inputs are too large to evaluate in the memory Node.js allows here; check fewer snapshots at once, or raise the limit with NODE_OPTIONS=--max-old-space-size=<MiB> [out-of-memory]\n',
    );
  } else {
    process.stderr.write(`trailguard: internal error: ${error.message} (please report it)\n${error.stack ?? ''}\n`);
  }
  removeTemps();
  process.exitCode = 2;
});

function removeTemps(): void {
  for (const temp of temps) rmSync(temp, { force: true });
}

for (const [signal, number] of [
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGTERM', 15],
] as const) {
  process.once(signal, () => {
    removeTemps();
    process.exit(128 + number);
  });
}

// A reader that stops early (`trailguard check … | head`) closes the pipe: that is not an error of trailguard's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  removeTemps();
  process.exit(0);
});
