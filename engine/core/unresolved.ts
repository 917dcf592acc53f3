/**
 * A value an infrastructure-as-code file does not settle before deployment: an export of another stack, an SSM
 * parameter, a Terraform value known only after apply. It is written into the snapshot as a marker string that
 * names it (`<unresolved: Fn::ImportValue SharedKeyArn>`), so the verdicts that need it are `unknown` and say why.
 */
export class Unresolved {
  constructor(
    /** The expression, as the file writes it (`Fn::ImportValue SharedKeyArn`). */
    readonly name: string,
    /** Why it cannot be settled from the file, and what would settle it. */
    readonly reason: string,
  ) {}
}

const MARKER = /^<unresolved: (.+)>$/s;

/** The `error.code` of a key whose whole policy an imported file does not settle (its `message` says why). */
export const UNRESOLVED_ERROR = 'Unresolved';

/** The marker string a snapshot holds in place of an unresolved value. */
export function unresolvedMarker(value: Unresolved): string {
  return `<unresolved: ${value.name}>`;
}

/** The name of the first unresolved marker inside a text (a trail ARN built from an unresolved name), if any. */
export function unresolvedIn(text: string): string | undefined {
  return /<unresolved: (.+?)>/s.exec(text)?.[1];
}

/** The name an unresolved marker holds, or undefined for any other value. */
export function unresolvedName(value: unknown): string | undefined {
  return typeof value === 'string' ? MARKER.exec(value)?.[1] : undefined;
}

/** A snapshot's record of one unresolved value: what it is, why, and where the file writes it. */
export interface UnresolvedRecord {
  readonly name: string;
  readonly reason: string;
  /** A JSON Pointer into the snapshot to where the marker stands. */
  readonly at: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}
