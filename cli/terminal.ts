import { isMainThread, workerData } from 'node:worker_threads';

/** What main.ts tells the worker that runs the command. */
export interface WorkerArgs {
  readonly argv: readonly string[];
  readonly stderrIsTTY: boolean;
  readonly columns: number | undefined;
}

const given = isMainThread ? undefined : (workerData as WorkerArgs);

/** The terminal the command runs in: a worker's own standard streams are never terminals, so main.ts says. */
export const terminal = {
  stderrIsTTY: given?.stderrIsTTY ?? process.stderr.isTTY === true,
  columns: given === undefined ? process.stdout.columns : given.columns,
};
