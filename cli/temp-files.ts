import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** What the worker tells the main thread, so a signal can remove a temporary file being written. */
export interface TempNotice {
  readonly temp: string;
  readonly writing: boolean;
}

/**
 * A temporary file's name beside its output: `.<name>.trailguard-<pid>-<random>.tmp`. The process id makes a file
 * left by a killed run (SIGKILL, a power cut) recognisable, and removable once that process is gone.
 */
export function tempName(folder: string, out: string, random: string): string {
  return join(folder, `.${basename(out)}.trailguard-${process.pid}-${random}.tmp`);
}

const TEMP = /^\.(.+)\.trailguard-(\d+)-[0-9a-f]+\.tmp$/;

/** Removes temporary files of `out` left by trailguard runs that no longer exist. */
export async function removeStaleTemps(folder: string, out: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    const match = TEMP.exec(name);
    if (match === null || match[1] !== basename(out)) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && !alive(pid)) await rm(join(folder, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tells the main thread (when there is one) that a temporary file is being written, or no longer is. */
export function announceTemp(temp: string, writing: boolean): void {
  const notice: TempNotice = { temp, writing };
  parentPort?.postMessage(notice);
}
