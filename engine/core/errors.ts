import { terminalSafe } from './safe-text.js';

export { quote, terminalSafe } from './safe-text.js';

/** What kind of bad input or failure a diagnostic reports. */
export type ErrorCode =
  | 'file-not-found'
  | 'file-unreadable'
  | 'outside-pack'
  | 'input-too-large'
  | 'encoding'
  | 'json-syntax'
  | 'json-duplicate'
  | 'yaml-syntax'
  | 'template-syntax'
  | 'template-input'
  | 'snapshot-version'
  | 'snapshot-schema'
  | 'snapshot-policy'
  | 'rule-schema'
  | 'rule-id'
  | 'duplicate-rule'
  | 'unknown-operator'
  | 'operator-options'
  | 'unknown-lookup'
  | 'unknown-binding'
  | 'json-path'
  | 'template'
  | 'regex'
  | 'no-rules'
  | 'rule-tests'
  | 'waivers'
  | 'results-schema'
  | 'usage'
  | 'credentials'
  | 'output'
  | 'unused-parameter'
  | 'unused-binding'
  | 'unused-expectation';

/** One problem, located like a compiler message: `file:line:col message [code]`. */
export interface Diagnostic {
  readonly code: ErrorCode;
  readonly message: string;
  /** A warning is worth a look but does not stop anything (`validate` prints it and still exits 0). */
  readonly severity?: 'warning';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** The one error type trailguard throws for bad input; it carries every problem found, sorted. */
export class TrailguardError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[] | Diagnostic, options?: { cause?: unknown }) {
    const list = sortDiagnostics(Array.isArray(diagnostics) ? diagnostics : [diagnostics as Diagnostic]);
    super(list.map(formatDiagnostic).join('\n'), options);
    this.name = 'TrailguardError';
    this.diagnostics = list;
  }

  get code(): ErrorCode {
    return (this.diagnostics[0] as Diagnostic).code;
  }
}

/**
 * A known problem with the data one rule reads for one resource (a document nested too deeply to search): the
 * finding becomes `error`, saying why, and the run goes on. Anything else thrown while a rule is evaluated is a bug
 * and stops the run as an internal error: it must never pass for a finding about the data.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
}

/** A bug met while evaluating one rule on one resource: names both, so the report says where to look. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

/**
 * One error carrying the diagnostics of several bad-input errors (rethrowing anything else). The first one is kept as
 * the cause, so `--verbose` can still show where it came from.
 */
export function combineErrors(errors: readonly unknown[], extra: readonly Diagnostic[] = []): TrailguardError | undefined {
  for (const error of errors) if (!(error instanceof TrailguardError)) throw error;
  const bad = errors as readonly TrailguardError[];
  const diagnostics = [...bad.flatMap((e) => e.diagnostics), ...extra];
  if (diagnostics.length === 0) return undefined;
  const first = bad[0];
  return new TrailguardError(diagnostics, { cause: first?.cause ?? first });
}

/** One line per diagnostic, with nothing in it a terminal would act on (see {@link terminalSafe}). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file === undefined ? '' : d.line === undefined ? `${d.file}: ` : `${d.file}:${d.line}:${d.column ?? 1} `;
  return terminalSafe(`${where}${d.severity === 'warning' ? 'warning: ' : ''}${d.message} [${d.code}]`);
}

/** Diagnostics in the order they are printed: by file, then line and column, then message. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}

/** Line and column (both from 1) of an offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}
