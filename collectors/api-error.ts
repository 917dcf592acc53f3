import type { ApiError } from '../engine/snapshot/types.js';

/** A failed AWS API call, as the snapshot records it: the one type, the snapshot schema's `apiError`. */
export type { ApiError };

/** The error of a failed call as data: the service's exception name, or the network error's code. */
export function apiError(error: unknown, operation: string, region?: string, resource?: string): ApiError {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { attempts?: number } };
  const code = typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : (e.name ?? 'Error');
  const attempts = e.$metadata?.attempts;
  const message = `${e.message ?? String(error)}${attempts !== undefined && attempts > 1 ? ` (after ${attempts} attempts)` : ''}`;
  return { ...(region === undefined ? {} : { region }), operation, code, message, ...(resource === undefined ? {} : { resource }) };
}

/** A call that failed in a way a retry or another Region will not fix: no credentials, or credentials refused. */
export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly code: 'no-credentials' | 'credentials-rejected' | 'unreachable' | 'sts-answer',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}
