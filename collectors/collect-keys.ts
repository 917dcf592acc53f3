import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KeyMetadata,
  paginateListAliases,
  paginateListResourceTags,
} from '@aws-sdk/client-kms';
import { type ApiError, apiError } from './api-error.js';
import type { AwsClients } from './aws-clients.js';
import { mapLimit } from './concurrency.js';
import { type Account, aliasConflicts, fitKey, guardedPages, malformed } from './fit-snapshot.js';
import { type CollectedKey, withoutMetadata } from './snapshot.js';

/** A trail's `KmsKeyId`, with where a reference that is not a full ARN lives (the trail's home Region and account). */
export interface KeyReference {
  readonly text: string;
  readonly region: string;
  readonly account: string;
}

interface KeyContext {
  readonly clients: AwsClients;
  readonly partition: string;
  /** The account collected: aliases can only be listed there. */
  readonly account: string;
  readonly errors: ApiError[];
  readonly concurrency: number;
  readonly onKey?: (arn: string, failed: boolean) => void;
  /** The collected account and partition, for checking answers against the snapshot schema. */
  readonly snapshotAccount: Account;
}

interface Resolved {
  readonly arn: string;
  readonly region: string;
  readonly metadata?: KeyMetadata;
  readonly alias?: string;
}

/**
 * Fetches every key the trails use, each once, from the Region in its ARN: DescribeKey, GetKeyPolicy (parsed),
 * GetKeyRotationStatus for customer managed keys, and the aliases of a key a trail names by alias. A key that
 * cannot be read is recorded with `null` and the error, never guessed.
 */
export async function collectKeys(references: readonly KeyReference[], context: KeyContext): Promise<Record<string, CollectedKey>> {
  const resolved = await mapLimit(unique(references), context.concurrency, (reference) => resolve(reference, context));
  const byArn = new Map<string, Resolved[]>();
  for (const key of resolved) if (key !== undefined) byArn.set(key.arn, [...(byArn.get(key.arn) ?? []), key]);
  const entries = await mapLimit([...byArn.values()], context.concurrency, async (forms) => {
    const first = forms[0] as Resolved;
    const fetched = await fetchKey(forms, context);
    const key = fitKey(context.snapshotAccount, first.arn, first.region, { ...fetched }, context.errors);
    if (key === undefined) {
      context.errors.push(
        malformed(
          'DescribeKey',
          first.region,
          `the key ARN ${JSON.stringify(first.arn.slice(0, 200))} is not a KMS key ARN: the key was left out`,
        ),
      );
      return undefined;
    }
    context.onKey?.(first.arn, key.error !== null);
    return [first.arn, key as unknown as CollectedKey] as const;
  });
  const keys = Object.fromEntries(entries.flatMap((e) => (e === undefined ? [] : [e])).sort(([a], [b]) => a.localeCompare(b)));
  context.errors.push(...aliasConflicts(keys));
  return keys;
}

function unique(references: readonly KeyReference[]): KeyReference[] {
  const seen = new Map<string, KeyReference>();
  for (const reference of references) seen.set(`${reference.text} ${reference.region} ${reference.account}`, reference);
  return [...seen.values()];
}

/** A key ARN is used as it is; a bare key id is made an ARN; an alias is resolved with DescribeKey. */
async function resolve(reference: KeyReference, context: KeyContext): Promise<Resolved | undefined> {
  const text = reference.text;
  const fields = text.split(':');
  if (text.startsWith('arn:') && fields.length >= 6) {
    const region = fields[3] ?? reference.region;
    if (fields.slice(5).join(':').startsWith('key/')) return { arn: text, region };
    return describeAlias(text, region, context, text);
  }
  if (text.startsWith('alias/')) return describeAlias(text, reference.region, context, text);
  return { arn: `arn:${context.partition}:kms:${reference.region}:${reference.account}:key/${text}`, region: reference.region };
}

async function describeAlias(keyId: string, region: string, context: KeyContext, alias: string): Promise<Resolved | undefined> {
  try {
    const { KeyMetadata: metadata } = await context.clients.kms(region).send(new DescribeKeyCommand({ KeyId: keyId }));
    if (typeof metadata?.Arn !== 'string') {
      context.errors.push(
        malformed(
          'DescribeKey',
          region,
          `the answer for ${alias} holds no key ARN: the alias was not resolved`,
          aliasArn(alias, region, context),
        ),
      );
      return undefined;
    }
    return { arn: metadata.Arn, region, metadata, alias: alias.startsWith('arn:') ? alias.slice(alias.indexOf('alias/')) : alias };
  } catch (error) {
    context.errors.push(apiError(error, 'DescribeKey', region, aliasArn(alias, region, context)));
    return undefined;
  }
}

/** An alias as an ARN: a bare `alias/…` name is in the collected account. */
function aliasArn(alias: string, region: string, context: KeyContext): string {
  return alias.startsWith('arn:') ? alias : `arn:${context.partition}:kms:${region}:${context.account}:${alias}`;
}

/** A key as fetched, before it is checked: the policy still GetKeyPolicy's JSON text. */
type FetchedKey = Omit<CollectedKey, 'policy'> & { readonly policy: string | null };

async function fetchKey(forms: readonly Resolved[], context: KeyContext): Promise<FetchedKey> {
  const first = forms[0] as Resolved;
  const kms = context.clients.kms(first.region);
  const arn = first.arn;
  let metadata = forms.find((f) => f.metadata !== undefined)?.metadata;
  let describeError: ApiError | undefined;
  if (metadata === undefined) {
    try {
      metadata = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
    } catch (error) {
      describeError = record(context, error, 'DescribeKey', first.region, arn);
    }
  }
  if (describeError?.code === 'NotFoundException') return { metadata: null, policy: null, error: keyError(describeError) };
  const { policy, error: policyError } = await fetchPolicy(arn, first.region, context);
  const rotationEnabled = metadata?.KeyManager === 'CUSTOMER' ? await fetchRotation(arn, first.region, context) : undefined;
  const aliases = forms.some((f) => f.alias !== undefined) ? await fetchAliases(forms, context) : undefined;
  // Tags decide aws:ResourceTag/* conditions; KMS lists them only for keys of the caller's own account.
  const tags = arn.split(':')[4] === context.account ? await fetchTags(arn, first.region, context) : undefined;
  const error = policyError ?? describeError;
  return {
    metadata: metadata === undefined ? null : withoutMetadata(metadata),
    policy,
    error: error === undefined ? null : keyError(error),
    ...(aliases === undefined ? {} : { aliases }),
    ...(rotationEnabled === undefined ? {} : { rotationEnabled }),
    ...(tags === undefined ? {} : { tags }),
  };
}

async function fetchPolicy(arn: string, region: string, context: KeyContext): Promise<{ policy: string | null; error?: ApiError }> {
  try {
    const { Policy: text } = await context.clients.kms(region).send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }));
    if (typeof text === 'string') return { policy: text };
    const error = malformed('GetKeyPolicy', region, 'the answer holds no Policy: the key policy is unknown', arn);
    context.errors.push(error);
    return { policy: null, error };
  } catch (error) {
    return { policy: null, error: record(context, error, 'GetKeyPolicy', region, arn) };
  }
}

async function fetchRotation(arn: string, region: string, context: KeyContext): Promise<boolean | null> {
  try {
    return (await context.clients.kms(region).send(new GetKeyRotationStatusCommand({ KeyId: arn }))).KeyRotationEnabled ?? null;
  } catch (error) {
    record(context, error, 'GetKeyRotationStatus', region, arn);
    return null;
  }
}

async function fetchTags(arn: string, region: string, context: KeyContext): Promise<{ TagKey: string; TagValue: string }[] | null> {
  try {
    const tags: { TagKey: string; TagValue: string }[] = [];
    for await (const page of guardedPages(
      'ListResourceTags',
      paginateListResourceTags({ client: context.clients.kms(region) }, { KeyId: arn }),
    )) {
      for (const tag of page.Tags ?? []) tags.push({ TagKey: tag.TagKey ?? '', TagValue: tag.TagValue ?? '' });
    }
    return tags.sort((a, b) => a.TagKey.localeCompare(b.TagKey));
  } catch (error) {
    record(context, error, 'ListResourceTags', region, arn);
    return null;
  }
}

/** The key's aliases (only listable in the collected account), always including the names trails used. */
async function fetchAliases(forms: readonly Resolved[], context: KeyContext): Promise<string[]> {
  const first = forms[0] as Resolved;
  const names = new Set(forms.flatMap((f) => (f.alias === undefined ? [] : [f.alias])));
  if (first.arn.split(':')[4] === context.account) {
    try {
      for await (const page of guardedPages(
        'ListAliases',
        paginateListAliases({ client: context.clients.kms(first.region) }, { KeyId: first.arn }),
      )) {
        for (const alias of page.Aliases ?? []) if (alias.AliasName !== undefined) names.add(alias.AliasName);
      }
    } catch (error) {
      record(context, error, 'ListAliases', first.region, first.arn);
    }
  }
  return [...names].sort();
}

function record(context: KeyContext, error: unknown, operation: string, region: string, resource: string): ApiError {
  const recorded = apiError(error, operation, region, resource);
  context.errors.push(recorded);
  return recorded;
}

function keyError(error: ApiError): { code: string; message: string; operation: string } {
  return { code: error.code, message: error.message, operation: error.operation };
}
