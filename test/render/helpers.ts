import { FORMATS } from '../../engine/render/formats.js';
import type { FormatOptions } from '../../engine/render/formatter.js';
import { type CheckRequest, prepareCheck } from '../../engine/run-check.js';

/** A format's output for snapshots, produced in-process at a fixed time so it can be compared with a file. */
export async function render(
  format: string,
  snapshots: readonly string[],
  options: FormatOptions = {},
  request: Partial<CheckRequest> = {},
): Promise<string> {
  const check = await prepareCheck({ now: new Date('2026-11-01T12:00:00Z'), ...request, snapshots });
  const formatter = FORMATS.get(format);
  if (formatter === undefined) throw new Error(format);
  return [...formatter.format(check.stream(), options)].join('');
}

export const NON_COMPLIANT = ['examples/non-compliant/snapshot.json'];
export const ORGANISATION = ['examples/organisation/member-snapshot.json', 'examples/organisation/log-archive-snapshot.json'];
export const COMPLIANT = ['examples/compliant/snapshot.json'];
