import { readFileSync } from 'node:fs';
import { packagePath } from '../core/package-root.js';
import type { ContextValue, RequestPrincipal, UnknownKey } from './types.js';

/** Who makes a request, as the catalogue distinguishes callers (see `context-keys.json`). */
export type CallerKind = 'service' | 'iam' | 'iam-via-service';

/** What a snapshot says of an account's organisation: a member of one, of none, or not recorded. */
export type OrganisationFact =
  | { readonly state: 'member'; readonly id: string; readonly source: string }
  | { readonly state: 'none'; readonly source: string }
  /** `conflict`: snapshots disagree about it (which is right cannot be told). */
  | { readonly state: 'unknown'; readonly conflict?: string };

/** The KMS key a request is made on, as far as the snapshot describes it. */
export interface KeyFacts {
  readonly arn: string;
  readonly region: string;
  readonly account: string;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** The key's tags; `null` when they were not collected. */
  readonly tags: Readonly<Record<string, string>> | null;
}

/** Everything the catalogue's values are taken from, for one request. */
export interface RequestFacts {
  readonly caller: CallerKind;
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** When the snapshot was taken (ISO 8601), standing for the time of the request. */
  readonly collectedAt: string | undefined;
  readonly key: KeyFacts | undefined;
  /** The service that forwards an IAM principal's request (`s3.us-east-1.amazonaws.com`). */
  readonly viaService: string | undefined;
  /** For a service principal's request: the account of the resource it acts for (`aws:SourceAccount`). */
  readonly sourceAccount: string | undefined;
  readonly organisation: (account: string) => OrganisationFact;
}

/** The context the catalogue gives a request: known values, where each came from, and the keys left unknown. */
export interface StandardContext {
  /** By key, spelt as the documentation spells it (IAM compares key names case-insensitively). */
  readonly values: ReadonlyMap<string, ContextValue>;
  /** By lower-cased key: where the value (or its absence) comes from, for `trailguard explain`. */
  readonly origins: ReadonlyMap<string, string>;
  readonly unknown: readonly UnknownKey[];
}

type CallerRule =
  | 'absent'
  | { readonly value: string }
  | { readonly from: string }
  | { readonly rule: true }
  | { readonly unknown: string; readonly mayBeAbsent: boolean };

interface CatalogueEntry {
  readonly key: string;
  readonly source: string;
  readonly availability: string;
  readonly callers: Readonly<Record<CallerKind, CallerRule>>;
}

interface Catalogue {
  readonly sources: Readonly<Record<string, string>>;
  readonly keys: readonly CatalogueEntry[];
}

export type Resolved =
  | { readonly kind: 'value'; readonly value: ContextValue; readonly from: string }
  | { readonly kind: 'tags'; readonly tags: Readonly<Record<string, string>>; readonly from: string }
  | { readonly kind: 'absent'; readonly from: string }
  | { readonly kind: 'unknown'; readonly hint: string; readonly mayBeAbsent: boolean };

/** AWS documents these services as setting `aws:CalledVia` when they forward a principal's request. */
const CALLED_VIA_SERVICES = new Set([
  'athena.amazonaws.com',
  'cloudformation.amazonaws.com',
  'dynamodb.amazonaws.com',
  'kms.amazonaws.com',
]);

let loaded: Catalogue | undefined;
function catalogue(): Catalogue {
  loaded ??= JSON.parse(readFileSync(packagePath('engine', 'iam', 'context-keys.json'), 'utf8')) as Catalogue;
  return loaded;
}

/** The documentation address an entry cites, for evidence and `explain`. */
export function sourceUrl(entry: { readonly source: string }): string {
  const [name = '', anchor] = entry.source.split('#');
  const base = catalogue().sources[name] ?? name;
  return anchor === undefined ? base : `${base}#${anchor}`;
}

// What each request's context needs of an entry besides its rule for the caller, worked out once.
let prepared: readonly { entry: CatalogueEntry; keyLower: string; prefix: boolean; url: string }[] | undefined;
function preparedEntries(): NonNullable<typeof prepared> {
  prepared ??= catalogue().keys.map((entry) => ({
    entry,
    keyLower: entry.key.toLowerCase(),
    prefix: entry.key.endsWith('/') || entry.key.endsWith(':'),
    url: sourceUrl(entry),
  }));
  return prepared;
}

/** The catalogue's entries (for docs and tests). */
export function catalogueEntries(): readonly CatalogueEntry[] {
  return catalogue().keys;
}

/**
 * The request context AWS would build for a request, from the catalogue: each key AWS puts in such a request,
 * with its value taken from the snapshot, the key or the request, or left unknown when nothing recorded says it.
 * Keys the rule gives (`{rule: true}`) are left to the rule. `withOrigins: false` skips saying where each value came
 * from (only `trailguard explain` shows it).
 */
export function standardContext(facts: RequestFacts, withOrigins = true): StandardContext {
  const values = new Map<string, ContextValue>();
  const origins = new Map<string, string>();
  const unknown: UnknownKey[] = [];
  for (const { entry, keyLower, prefix, url } of preparedEntries()) {
    const rule = entry.callers[facts.caller];
    const resolved = resolve(rule, facts);
    if (resolved === undefined) continue;
    const cite = withOrigins ? `${entry.availability} [${url}]` : '';
    switch (resolved.kind) {
      case 'unknown':
        unknown.push({
          key: entry.key,
          keyLower,
          prefix,
          hint: resolved.hint,
          mayBeAbsent: resolved.mayBeAbsent,
          source: url,
        });
        if (withOrigins) origins.set(keyLower, `unknown: ${resolved.hint} — ${cite}`);
        break;
      case 'absent':
        if (withOrigins) origins.set(keyLower, `absent (${resolved.from}) — ${cite}`);
        break;
      case 'tags':
        if (withOrigins) origins.set(keyLower, `${resolved.from} — ${cite}`);
        for (const [suffix, value] of Object.entries(resolved.tags)) {
          values.set(`${entry.key}${suffix}`, value);
          if (withOrigins) origins.set(`${keyLower}${suffix.toLowerCase()}`, `${resolved.from} — ${cite}`);
        }
        break;
      case 'value':
        values.set(entry.key, resolved.value);
        if (withOrigins) origins.set(keyLower, `${resolved.from} — ${cite}`);
        break;
    }
  }
  return { values, origins, unknown };
}

/** Whether AWS leaves the key out of every request of this kind of caller, as the catalogue says. */
export function absentFor(keyLower: string, caller: CallerKind): boolean {
  const found = preparedEntries().find((e) => (e.prefix ? keyLower.startsWith(e.keyLower) : keyLower === e.keyLower));
  return found !== undefined && found.entry.callers[caller] === 'absent';
}

/** Whether the catalogue lists the key (exactly, or under a prefix such as `aws:ResourceTag/`). */
export function isCatalogued(keyLower: string): boolean {
  return catalogue().keys.some((entry) => {
    const lower = entry.key.toLowerCase();
    return entry.key.endsWith('/') || entry.key.endsWith(':') ? keyLower.startsWith(lower) : keyLower === lower;
  });
}

function resolve(rule: CallerRule, facts: RequestFacts): Resolved | undefined {
  if (rule === 'absent') return { kind: 'absent', from: `AWS does not include it in a ${describeCaller(facts.caller)} request` };
  if ('rule' in rule) return undefined;
  if ('value' in rule)
    return { kind: 'value', value: rule.value, from: `always ${rule.value} for a ${describeCaller(facts.caller)} request` };
  if ('unknown' in rule) return { kind: 'unknown', hint: rule.unknown, mayBeAbsent: rule.mayBeAbsent };
  return fact(rule.from, facts);
}

function describeCaller(caller: CallerKind): string {
  switch (caller) {
    case 'service':
      return 'service principal';
    case 'iam':
      return 'direct IAM principal';
    case 'iam-via-service':
      return 'forwarded IAM principal';
  }
}

/**
 * The value (or absence, or unknown) one named fact gives a request, whatever the caller: the catalogue only asks for
 * the facts that fit each kind of caller, but each fact answers for any. Exported for tests.
 */
export function fact(name: string, facts: RequestFacts): Resolved {
  const key = facts.key;
  const noKey = (what: string): Resolved => ({
    kind: 'unknown',
    hint: `${what}: the rule names no key for the request`,
    mayBeAbsent: true,
  });
  if (name.startsWith('key-metadata:')) {
    const field = name.slice('key-metadata:'.length);
    if (key === undefined) return noKey(`the key's ${field}`);
    const value = key.metadata?.[field];
    if (typeof value === 'string' || typeof value === 'boolean')
      return { kind: 'value', value: String(value), from: `DescribeKey ${field} of ${key.arn}` };
    return {
      kind: 'unknown',
      hint: `the ${field} of key ${key.arn}: ${key.metadata === null ? 'its DescribeKey metadata is not in the snapshot' : `its DescribeKey metadata does not record ${field}`}`,
      mayBeAbsent: false,
    };
  }
  switch (name) {
    case 'collection-time':
    case 'collection-epoch': {
      const ms = facts.collectedAt === undefined ? Number.NaN : Date.parse(facts.collectedAt);
      if (Number.isNaN(ms))
        return { kind: 'unknown', hint: 'the time of the request: the snapshot records no collectedAt', mayBeAbsent: false };
      const value = name === 'collection-time' ? new Date(ms).toISOString() : String(Math.floor(ms / 1000));
      return { kind: 'value', value, from: `the snapshot's collection time (${facts.collectedAt})` };
    }
    case 'key-region':
      return key === undefined ? noKey("the key's Region") : { kind: 'value', value: key.region, from: `the Region of key ${key.arn}` };
    case 'key-account':
      return key === undefined ? noKey("the key's account") : { kind: 'value', value: key.account, from: `the account of key ${key.arn}` };
    case 'service-name':
    case 'service-names-list':
      if (facts.principal.kind !== 'service') return { kind: 'absent', from: 'the caller is not a service principal' };
      return {
        kind: 'value',
        value: name === 'service-name' ? facts.principal.name : [facts.principal.name],
        from: 'the service principal making the request',
      };
    case 'principal-account':
      return facts.principal.kind === 'aws'
        ? { kind: 'value', value: facts.principal.account, from: `the account of the caller ${facts.principal.arn}` }
        : { kind: 'absent', from: 'the caller is a service principal' };
    case 'principal-arn':
      return facts.principal.kind === 'aws'
        ? { kind: 'value', value: facts.principal.arn, from: 'the caller the rule evaluates' }
        : { kind: 'absent', from: 'the caller is a service principal' };
    case 'principal-type':
      return principalType(facts.principal);
    case 'principal-org-id':
      return facts.principal.kind === 'aws'
        ? orgId(facts.organisation(facts.principal.account), `the reader's account ${facts.principal.account}`)
        : absentForService();
    case 'principal-org-paths':
      return facts.principal.kind === 'aws'
        ? orgPaths(facts.organisation(facts.principal.account), `the reader's account ${facts.principal.account}`)
        : absentForService();
    case 'source-org-id':
      return facts.sourceAccount === undefined
        ? { kind: 'absent', from: 'the request names no source account' }
        : orgId(facts.organisation(facts.sourceAccount), `the trail's account ${facts.sourceAccount}`);
    case 'source-org-paths':
      return facts.sourceAccount === undefined
        ? { kind: 'absent', from: 'the request names no source account' }
        : orgPaths(facts.organisation(facts.sourceAccount), `the trail's account ${facts.sourceAccount}`);
    case 'key-org-id':
      return key === undefined
        ? noKey("the key's organisation")
        : orgId(facts.organisation(key.account), `the key's account ${key.account}`);
    case 'key-org-paths':
      return key === undefined
        ? noKey("the key's organisation path")
        : orgPaths(facts.organisation(key.account), `the key's account ${key.account}`);
    case 'key-tags':
      if (key === undefined) return noKey("the key's tags");
      if (key.tags === null)
        return { kind: 'unknown', hint: `the tags of key ${key.arn}: they were not collected (kms:ListResourceTags)`, mayBeAbsent: true };
      return { kind: 'tags', tags: key.tags, from: `the tags of key ${key.arn} (kms:ListResourceTags)` };
    case 'key-multi-region-type': {
      if (key === undefined) return noKey("the key's multi-Region type");
      if (key.metadata === null)
        return { kind: 'unknown', hint: `whether key ${key.arn} is a multi-Region key: no DescribeKey metadata`, mayBeAbsent: true };
      const config = key.metadata.MultiRegionConfiguration as { MultiRegionKeyType?: unknown } | undefined;
      return typeof config?.MultiRegionKeyType === 'string'
        ? { kind: 'value', value: config.MultiRegionKeyType, from: `DescribeKey MultiRegionConfiguration of ${key.arn}` }
        : { kind: 'absent', from: `key ${key.arn} is not a multi-Region key` };
    }
    case 'encryption-algorithm':
      return /^kms:(decrypt|generatedatakey|encrypt|reencrypt)/i.test(facts.action)
        ? { kind: 'value', value: 'SYMMETRIC_DEFAULT', from: `${facts.action} on a symmetric key uses SYMMETRIC_DEFAULT` }
        : { kind: 'absent', from: `${facts.action} is not a cryptographic operation` };
    case 'via-service':
      return facts.viaService === undefined
        ? { kind: 'absent', from: 'no service forwards the request' }
        : { kind: 'value', value: facts.viaService, from: 'the service that forwards the request' };
    case 'called-via':
    case 'called-via-first':
    case 'called-via-last': {
      const service = facts.viaService?.replace(/^([a-z0-9-]+)\.[a-z0-9-]+\.amazonaws\.com$/, '$1.amazonaws.com');
      if (service === undefined || !CALLED_VIA_SERVICES.has(service))
        return { kind: 'absent', from: `${facts.viaService ?? 'the forwarding service'} is not a service that sets aws:CalledVia` };
      return { kind: 'value', value: name === 'called-via' ? [service] : service, from: 'the service that forwards the request' };
    }
    default:
      throw new Error(`context-keys.json names an unknown fact ${JSON.stringify(name)}`);
  }
}

function absentForService(): Resolved {
  return { kind: 'absent', from: 'a service principal belongs to no organisation' };
}

function principalType(principal: RequestPrincipal): Resolved {
  if (principal.kind === 'service')
    return { kind: 'unknown', hint: 'the principal type AWS records for a service principal', mayBeAbsent: true };
  const resource = principal.arn.split(':').slice(5).join(':');
  if (resource === 'root')
    return {
      kind: 'unknown',
      hint: `which identity of account ${principal.account} calls (Account, User or AssumedRole)`,
      mayBeAbsent: false,
    };
  if (resource.startsWith('user/')) return { kind: 'value', value: 'User', from: `the caller ${principal.arn} is a user` };
  if (resource.startsWith('role/') || resource.startsWith('assumed-role/'))
    return { kind: 'value', value: 'AssumedRole', from: `the caller ${principal.arn} is a role session` };
  return { kind: 'unknown', hint: `the principal type of ${principal.arn}`, mayBeAbsent: false };
}

function orgId(fact: OrganisationFact, who: string): Resolved {
  switch (fact.state) {
    case 'member':
      return { kind: 'value', value: fact.id, from: `${who} is in organisation ${fact.id} (${fact.source})` };
    case 'none':
      return { kind: 'absent', from: `${who} belongs to no organisation (${fact.source})` };
    case 'unknown':
      return {
        kind: 'unknown',
        hint:
          fact.conflict === undefined
            ? `whether ${who} belongs to an organisation, and which: collect that account's organisation (organizations:DescribeOrganization)`
            : `which organisation ${who} belongs to: ${fact.conflict}`,
        mayBeAbsent: true,
      };
  }
}

function orgPaths(fact: OrganisationFact, who: string): Resolved {
  switch (fact.state) {
    case 'none':
      return { kind: 'absent', from: `${who} belongs to no organisation (${fact.source})` };
    case 'member':
      return {
        kind: 'unknown',
        hint: `the organisational unit path of ${who} in ${fact.id}: trailguard does not collect OU paths`,
        mayBeAbsent: false,
      };
    case 'unknown':
      return {
        kind: 'unknown',
        hint:
          fact.conflict === undefined
            ? `the organisation path of ${who}: collect that account's organisation (organizations:DescribeOrganization)`
            : `the organisation path of ${who}: ${fact.conflict}`,
        mayBeAbsent: true,
      };
  }
}
