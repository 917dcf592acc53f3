import { type CallerKind, isCatalogued, type KeyFacts, type RequestFacts, standardContext } from './context-catalogue.js';
import type { ContextValue, Policy, RequestPrincipal, UnknownKey } from './types.js';

/** A request's standard context as a record, with the rule's keys' origins and without the unknowns it gives. */
export interface Standard {
  readonly values: Readonly<Record<string, ContextValue>>;
  readonly origins: ReadonlyMap<string, string>;
  readonly unknown: readonly UnknownKey[];
}

// Thousands of trails share a handful of keys and callers: the standard context is built once for each distinct
// set of facts within a run (a run has its own organisation lookup, so runs never share entries).
const standards = new WeakMap<object, Map<string, Standard>>();

export function standardFor(facts: RequestFacts, givenKeys: ReadonlySet<string>, withOrigins: boolean): Standard {
  const principal = facts.principal.kind === 'service' ? facts.principal.name : facts.principal.arn;
  const id = [
    withOrigins,
    facts.caller,
    principal,
    facts.action,
    facts.key?.arn,
    facts.viaService,
    facts.sourceAccount,
    facts.collectedAt,
    ...givenKeys,
  ].join('\n');
  let byFacts = standards.get(facts.organisation);
  if (byFacts === undefined) {
    byFacts = new Map();
    standards.set(facts.organisation, byFacts);
  }
  let standard = byFacts.get(id);
  if (standard === undefined) {
    const built = standardContext(facts, withOrigins);
    const origins = new Map(built.origins);
    for (const k of givenKeys) origins.set(k, 'the rule');
    const known = (k: string) => givenKeys.has(k) || k.startsWith('kms:encryptioncontext');
    standard = {
      values: Object.fromEntries(built.values),
      origins,
      unknown: built.unknown.filter((u) => u.prefix || !known(u.keyLower)),
    };
    // Bounded: past the limit the oldest half goes (trails of one key mostly come together, so recent facts matter).
    if (byFacts.size >= 50_000) for (const old of [...byFacts.keys()].slice(0, 25_000)) byFacts.delete(old);
    byFacts.set(id, standard);
  }
  return standard;
}

export function callerKind(caller: RequestPrincipal, viaService: string | undefined): CallerKind {
  if (caller.kind === 'service') return 'service';
  return viaService === undefined ? 'iam' : 'iam-via-service';
}

/** The key a request is made on, from the `kms-key` lookup's view of it (anything else names no key). */
export function asKeyFacts(value: unknown): KeyFacts | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const view = value as Record<string, unknown>;
  if (typeof view.arn !== 'string') return undefined;
  return {
    arn: view.arn,
    region: typeof view.region === 'string' ? view.region : '',
    account: typeof view.account === 'string' ? view.account : '',
    metadata: typeof view.metadata === 'object' && view.metadata !== null ? (view.metadata as Record<string, unknown>) : null,
    tags: typeof view.tags === 'object' && view.tags !== null ? (view.tags as Record<string, string>) : null,
  };
}

/**
 * Global (`aws:`) keys the policy's conditions read that the catalogue does not describe and the rule does not
 * give: AWS may well put them in the request, so they are unknown rather than absent.
 */
export function uncatalogued(policy: Policy, known: (keyLower: string) => boolean): UnknownKey[] {
  const out = new Map<string, UnknownKey>();
  for (const statement of policy.statements) {
    for (const clause of statement.conditions) {
      const k = clause.keyLower;
      if (!k.startsWith('aws:') || known(k) || isCatalogued(k) || out.has(k)) continue;
      out.set(k, {
        key: clause.key,
        keyLower: k,
        prefix: false,
        hint: `trailguard's catalogue of request context keys (engine/iam/context-keys.json) does not describe ${clause.key}`,
        mayBeAbsent: true,
      });
    }
  }
  return [...out.values()];
}
