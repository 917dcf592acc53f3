import type { ContextValue, IamRequest, RequestPrincipal, UnknownKey } from './types.js';

const EC_PREFIX = 'kms:encryptioncontext:';
const EC_KEYS = 'kms:encryptioncontextkeys';

/** A request described with its KMS encryption context kept apart, so probes can remove parts of it. */
export interface RequestSpec {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource: string;
  /** The context the rule gives: what is particular to this request. */
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly encryptionContext: Readonly<Record<string, string>>;
  /** What AWS puts in every such request (from the catalogue); `context` wins over it. */
  readonly standard?: Readonly<Record<string, ContextValue>>;
  /** Keys whose values are real but unrecorded (see `UnknownKey`); a key the context gives is known. */
  readonly unknown?: readonly UnknownKey[];
  /** Where each context value came from, by lower-cased key (for `trailguard explain`). */
  readonly origins?: ReadonlyMap<string, string>;
}

/** A variation of a request that a confined grant must not allow. */
export type Probe = (
  | { readonly name: string; readonly description?: string; readonly without: readonly string[] }
  | { readonly name: string; readonly description?: string; readonly otherAccount: string }
) & {
  /** What a confined grant has, in words ("only with the CloudTrail encryption context"), for reasons. */
  readonly requirement?: string;
};

/**
 * The IAM request for a spec: each encryption-context pair becomes `kms:EncryptionContext:<key>`, and
 * `kms:EncryptionContextKeys` lists the pair keys, as KMS builds them.
 */
export function buildRequest(spec: RequestSpec): IamRequest {
  const context = spec.standard === undefined ? new Map<string, ContextValue>() : new Map(lowered(spec.standard));
  for (const [key, value] of Object.entries(spec.context)) context.set(key.toLowerCase(), value);
  const ecKeys = Object.keys(spec.encryptionContext);
  for (const key of ecKeys) context.set(EC_PREFIX + key.toLowerCase(), spec.encryptionContext[key] as string);
  if (ecKeys.length > 0) context.set(EC_KEYS, ecKeys);
  const unknown = spec.unknown ?? [];
  return { principal: spec.principal, action: spec.action, resource: spec.resource, context, ...(unknown.length === 0 ? {} : { unknown }) };
}

// A standard context is shared by every request made with the same facts (request-context.ts): its keys are
// lower-cased once, not once per request.
const loweredStandards = new WeakMap<object, ReadonlyMap<string, ContextValue>>();
function lowered(standard: Readonly<Record<string, ContextValue>>): ReadonlyMap<string, ContextValue> {
  let map = loweredStandards.get(standard);
  if (map === undefined) {
    map = new Map(Object.entries(standard).map(([key, value]) => [key.toLowerCase(), value]));
    loweredStandards.set(standard, map);
  }
  return map;
}

/** The request with context keys removed; removing `kms:EncryptionContext:<k>` also takes `<k>` out of the encryption-context keys. */
export function withoutKeys(request: IamRequest, keys: readonly string[]): IamRequest {
  const removed = new Set(keys.map((k) => k.toLowerCase()));
  const names = [...removed].filter((k) => k.startsWith(EC_PREFIX)).map((k) => k.slice(EC_PREFIX.length));
  return {
    ...request,
    context: new DerivedContext(request.context, (key, value) => {
      if (value === undefined || removed.has(key)) return undefined;
      if (key !== EC_KEYS || names.length === 0 || !Array.isArray(value)) return value;
      return (value as readonly string[]).filter((k) => !names.includes(k.toLowerCase()));
    }),
  };
}

/**
 * A probe's context: another request's, changed key by key (keys removed, an account swapped for another). A probe's
 * conditions read a handful of the context's keys, so each is worked out when read; the whole context only when
 * something iterates it (evidence, `explain`).
 */
class DerivedContext implements ReadonlyMap<string, ContextValue> {
  private whole: Map<string, ContextValue> | undefined;

  constructor(
    private readonly base: ReadonlyMap<string, ContextValue>,
    /** The value of `key` in this context, from its value in the base (undefined: absent). */
    private readonly derive: (key: string, value: ContextValue | undefined) => ContextValue | undefined,
  ) {}

  get(key: string): ContextValue | undefined {
    return this.whole === undefined ? this.derive(key, this.base.get(key)) : this.whole.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get size(): number {
    return this.materialised().size;
  }

  forEach(callback: (value: ContextValue, key: string, map: ReadonlyMap<string, ContextValue>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.materialised()) callback.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[string, ContextValue]> {
    return this.materialised().entries();
  }

  keys(): MapIterator<string> {
    return this.materialised().keys();
  }

  values(): MapIterator<ContextValue> {
    return this.materialised().values();
  }

  [Symbol.iterator](): MapIterator<[string, ContextValue]> {
    return this.materialised()[Symbol.iterator]();
  }

  private materialised(): Map<string, ContextValue> {
    if (this.whole === undefined) {
      const whole = new Map<string, ContextValue>();
      for (const [key, value] of this.base) {
        const derived = this.derive(key, value);
        if (derived !== undefined) whole.set(key, derived);
      }
      this.whole = whole;
    }
    return this.whole;
  }
}

/** Keys that describe the key the request is made on, not who asks or for what: they stay as they are. */
const RESOURCE_KEYS = new Set(['aws:resourceaccount']);

/**
 * The request as made for another account: every occurrence of `account` (as a whole number) becomes `other`,
 * except in the keys that describe the key itself (its account stays its account).
 */
export function forAccount(request: IamRequest, account: string, other: string): IamRequest {
  const swap = swapper(account, other);
  const context = new DerivedContext(request.context, (key, value) =>
    value === undefined || RESOURCE_KEYS.has(key) ? value : typeof value === 'string' ? swap(value) : value.map(swap),
  );
  const p = request.principal;
  const principal: RequestPrincipal = p.kind === 'aws' ? { kind: 'aws', arn: swap(p.arn), account: swap(p.account) } : p;
  return { ...request, principal, context };
}

const swappers = new Map<string, (text: string) => string>();
function swapper(account: string, other: string): (text: string) => string {
  const key = `${account}>${other}`;
  let swap = swappers.get(key);
  if (swap === undefined) {
    const pattern = new RegExp(`(?<!\\d)${account.replace(/\D/g, '')}(?!\\d)`, 'g');
    swap = (text) => (text.includes(account) ? text.replace(pattern, other) : text);
    if (swappers.size < 10_000) swappers.set(key, swap);
  }
  return swap;
}

export function describeProbe(probe: Probe, variant?: string): string {
  if (probe.description !== undefined) return variant === undefined ? probe.description : `${probe.description} (account ${variant})`;
  if ('without' in probe) return `without ${probe.without.join(', ')}`;
  return variant === undefined ? 'for another account' : `for account ${variant}, which the policy does not name`;
}

/** What a grant must be to satisfy the probe, in words: its `requirement`, or "not also …" from its description. */
export function describeRequirement(probe: Probe): string {
  return probe.requirement ?? `without also allowing it ${describeProbe(probe)}`;
}
