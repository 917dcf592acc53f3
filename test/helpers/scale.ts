/**
 * How big the long suites run. CI (CI=true) runs them at full size; a developer's `npm test` runs the same code paths
 * with fewer iterations and smaller generated inputs, so the whole suite stays under two minutes on two cores.
 */
export const FULL_SIZE = process.env.CI === 'true';

/** `full` under CI, `local` otherwise. */
export function scaled(full: number, local: number): number {
  return FULL_SIZE ? full : local;
}
