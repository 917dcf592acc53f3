import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** What main.ts tells the worker that runs the command. */
export interface WorkerArgs {
  readonly argv: readonly string[];
  readonly stderrIsTTY: boolean;
  readonly columns: number | undefined;
  /** Whether standard input is a terminal (then, for a command that asks, main.ts passes it on to the worker). */
  readonly stdinIsTTY?: boolean;
}

const given = isMainThread ? undefined : (workerData as WorkerArgs);

/** The terminal the command runs in: a worker's own standard streams are never terminals, so main.ts says. */
export const terminal = {
  stderrIsTTY: given?.stderrIsTTY ?? process.stderr.isTTY === true,
  stdinIsTTY: given?.stdinIsTTY ?? process.stdin.isTTY === true,
  columns: given === undefined ? process.stdout.columns : given.columns,
};

/** A question the worker puts to the terminal through main.ts, which holds standard input. */
export interface Question {
  readonly question: string;
}

/** Asks on the terminal and returns the line typed (main.ts reads it; a worker's own input is never the terminal's). */
export async function askTerminal(question: string): Promise<string> {
  if (isMainThread || parentPort === null) {
    process.stderr.write(question);
    const { createInterface } = await import('node:readline');
    const lines = createInterface({ input: process.stdin });
    try {
      for await (const line of lines) return line;
      return '';
    } finally {
      lines.close();
    }
  }
  const port = parentPort;
  return new Promise((resolve) => {
    port.once('message', (reply: { answer?: unknown }) => resolve(typeof reply.answer === 'string' ? reply.answer : ''));
    port.postMessage({ question } satisfies Question);
  });
}
