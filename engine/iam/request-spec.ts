import { makeRequest } from './evaluate-policy.js';
import type { ContextValue, IamRequest, RequestPrincipal } from './types.js';

const EC_PREFIX = 'kms:encryptioncontext:';
const EC_KEYS = 'kms:encryptioncontextkeys';

/** A request described with its KMS encryption context kept apart, so probes can remove parts of it. */
export interface RequestSpec {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** A variation of a request that a confined grant must not allow. */
export type Probe =
  | { readonly name: string; readonly description?: string; readonly without: readonly string[] }
  | { readonly name: string; readonly description?: string; readonly otherAccount: string };

/**
 * The IAM request for a spec: each encryption-context pair becomes `kms:EncryptionContext:<key>`, and
 * `kms:EncryptionContextKeys` lists the pair keys, as KMS builds them.
 */
export function buildRequest(spec: RequestSpec): IamRequest {
  const context = new Map<string, ContextValue>();
  for (const [k, v] of Object.entries(spec.context)) context.set(k.toLowerCase(), v);
  const ecKeys = Object.keys(spec.encryptionContext);
  for (const k of ecKeys) context.set(EC_PREFIX + k.toLowerCase(), spec.encryptionContext[k] ?? '');
  if (ecKeys.length > 0) context.set(EC_KEYS, ecKeys);
  return makeRequest(spec.principal, spec.action, spec.resource, context);
}

/** The spec with context keys removed; removing `kms:EncryptionContext:<k>` takes `<k>` out of the encryption context. */
export function withoutKeys(spec: RequestSpec, keys: readonly string[]): RequestSpec {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  const context = Object.fromEntries(Object.entries(spec.context).filter(([k]) => !drop.has(k.toLowerCase())));
  const encryptionContext = Object.fromEntries(
    Object.entries(spec.encryptionContext).filter(([k]) => !drop.has(EC_PREFIX + k.toLowerCase())),
  );
  return { ...spec, context, encryptionContext };
}

/** The spec as made for another account: every occurrence of `account` (as a whole number) becomes `other`. */
export function forAccount(spec: RequestSpec, account: string, other: string): RequestSpec {
  const pattern = new RegExp(`(?<!\\d)${account.replace(/\D/g, '')}(?!\\d)`, 'g');
  const swap = (text: string) => text.replace(pattern, other);
  const swapValue = (value: ContextValue): ContextValue => (typeof value === 'string' ? swap(value) : value.map(swap));
  const principal: RequestPrincipal =
    spec.principal.kind === 'aws' ? { kind: 'aws', arn: swap(spec.principal.arn), account: swap(spec.principal.account) } : spec.principal;
  return {
    ...spec,
    principal,
    context: Object.fromEntries(Object.entries(spec.context).map(([k, v]) => [k, swapValue(v)])),
    encryptionContext: Object.fromEntries(Object.entries(spec.encryptionContext).map(([k, v]) => [k, swap(v)])),
  };
}

export function describeProbe(probe: Probe, variant?: string): string {
  if (probe.description !== undefined) return variant === undefined ? probe.description : `${probe.description} (account ${variant})`;
  if ('without' in probe) return `without ${probe.without.join(', ')}`;
  return variant === undefined ? 'for another account' : `for account ${variant}, which the policy does not name`;
}
