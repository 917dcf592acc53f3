import { DescribeTrailsCommand, GetTrailStatusCommand, type Trail } from '@aws-sdk/client-cloudtrail';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type ApiError, apiError, CredentialsError } from './api-error.js';
import type { AwsClients } from './aws-clients.js';
import { collectKeys, type KeyReference } from './collect-keys.js';
import { mapLimit } from './concurrency.js';
import { type CollectedSnapshot, type ProgressEvent, withoutMetadata } from './snapshot.js';

export interface CollectOptions {
  /** Regions to scan; every Region enabled for the account when absent. */
  readonly regions?: readonly string[];
  /** Calls in flight at once (Regions, trails, keys). */
  readonly concurrency?: number;
  readonly toolVersion: string;
  readonly now?: () => Date;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Where each partition's global calls (STS, the Region list) are made. */
const HOME_REGION: Readonly<Record<string, string>> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/**
 * Snapshots one account: who is calling, the enabled Regions, every trail (once, with its home Region's status),
 * and every key the trails use. Every failed call after the identity check is recorded in `errors` and the
 * collection goes on; only missing or rejected credentials stop it.
 */
export async function collectAccount(clients: AwsClients, options: CollectOptions): Promise<CollectedSnapshot> {
  const concurrency = options.concurrency ?? 8;
  const errors: ApiError[] = [];
  const progress = options.onProgress ?? (() => {});
  const identity = await identify(clients, options.regions?.[0]);
  progress({ kind: 'identity', account: identity.account, callerArn: identity.arn });
  const home = HOME_REGION[identity.partition] ?? 'us-east-1';
  const regions = options.regions ?? (await enabledRegions(clients, home, identity.partition, errors));
  progress({ kind: 'regions', regions });
  const organization = await describeOrganization(clients, home, errors);

  const perRegion = await mapLimit(regions, concurrency, async (region) => {
    try {
      const { trailList } = await clients.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
      progress({ kind: 'region', region, trails: trailList?.length ?? 0, failed: false });
      return trailList ?? [];
    } catch (error) {
      errors.push(apiError(error, 'DescribeTrails', region));
      progress({ kind: 'region', region, trails: 0, failed: true });
      return [];
    }
  });
  const trails = uniqueTrails(perRegion.flat());
  const trailStatus = await collectStatus(clients, trails, concurrency, errors);

  const references: KeyReference[] = trails.flatMap((t) =>
    t.KmsKeyId ? [{ text: t.KmsKeyId, region: t.HomeRegion ?? '', account: t.TrailARN?.split(':')[4] ?? identity.account }] : [],
  );
  progress({ kind: 'keys', references: new Set(references.map((r) => r.text)).size });
  const keys = await collectKeys(references, {
    clients,
    partition: identity.partition,
    account: identity.account,
    errors,
    concurrency,
    onKey: (arn, failed) => progress({ kind: 'key', arn, failed }),
  });
  return {
    schemaVersion: 1,
    account: { id: identity.account, partition: identity.partition, callerArn: identity.arn },
    ...(organization === undefined ? {} : { organization }),
    collectedAt: (options.now?.() ?? new Date()).toISOString(),
    collector: { name: 'trailguard', version: options.toolVersion },
    regions: [...regions],
    trails: trails.map((t) => withoutMetadata(t)),
    trailStatus,
    keys,
    errors: errors.sort((a, b) => `${a.region}${a.operation}`.localeCompare(`${b.region}${b.operation}`)),
  };
}

/**
 * Who the credentials are (sts:GetCallerIdentity, which needs no permission); a CredentialsError when there are
 * none, STS refuses them, or STS cannot be reached.
 */
export async function identify(clients: AwsClients, region?: string): Promise<{ account: string; arn: string; partition: string }> {
  try {
    const out = await clients
      .sts(region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1')
      .send(new GetCallerIdentityCommand({}));
    const arn = out.Arn ?? '';
    return { account: out.Account ?? '', arn, partition: arn.split(':')[1] || 'aws' };
  } catch (error) {
    throw credentialsError(error);
  }
}

function credentialsError(error: unknown): CredentialsError {
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === 'CredentialsProviderError') {
    return new CredentialsError(
      `no AWS credentials found (${e.message ?? 'none in the default chain'}): set AWS_PROFILE or pass --profile, run "aws sso login", or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      'no-credentials',
      { cause: error },
    );
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    return new CredentialsError(`cannot reach AWS STS to check the credentials (${e.code}: ${e.message ?? ''})`, 'unreachable', {
      cause: error,
    });
  }
  return new CredentialsError(
    `AWS STS rejected the credentials (${e.name ?? 'Error'}: ${e.message ?? ''}): refresh them (aws sso login) or choose another --profile`,
    'credentials-rejected',
    { cause: error },
  );
}

/**
 * The account's organisation (it decides aws:PrincipalOrgID and its kin in key policies): the Organization record,
 * null when the account belongs to none, undefined when the call failed (recorded, so the verdicts stay unknown).
 */
async function describeOrganization(
  clients: AwsClients,
  home: string,
  errors: ApiError[],
): Promise<Record<string, unknown> | null | undefined> {
  try {
    const { Organization: organization } = await clients.organizations(home).send(new DescribeOrganizationCommand({}));
    if (organization === undefined) return undefined;
    const { AvailablePolicyTypes: _, ...record } = organization;
    return record;
  } catch (error) {
    if ((error as { name?: string }).name === 'AWSOrganizationsNotInUseException') return null;
    errors.push(apiError(error, 'DescribeOrganization', home));
    return undefined;
  }
}

/** The Regions enabled for the account, in its partition; the failure is recorded and the home Region used. */
async function enabledRegions(clients: AwsClients, home: string, partition: string, errors: ApiError[]): Promise<string[]> {
  try {
    const { Regions } = await clients.ec2(home).send(new DescribeRegionsCommand({ AllRegions: false }));
    const names = (Regions ?? [])
      .filter((r) => r.OptInStatus !== 'not-opted-in' && r.RegionName !== undefined)
      .map((r) => r.RegionName as string)
      .filter((name) => partitionOf(name) === partition);
    return names.sort();
  } catch (error) {
    errors.push(apiError(error, 'DescribeRegions', home));
    return [home];
  }
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** Each trail once, by ARN: a multi-Region trail is listed by every Region, an organisation trail by every member. */
function uniqueTrails(trails: readonly Trail[]): Trail[] {
  const byArn = new Map<string, Trail>();
  for (const trail of trails) if (trail.TrailARN !== undefined && !byArn.has(trail.TrailARN)) byArn.set(trail.TrailARN, trail);
  return [...byArn.values()].sort((a, b) => (a.TrailARN as string).localeCompare(b.TrailARN as string));
}

async function collectStatus(
  clients: AwsClients,
  trails: readonly Trail[],
  concurrency: number,
  errors: ApiError[],
): Promise<Record<string, Record<string, unknown> | null>> {
  const statuses = await mapLimit(trails, concurrency, async (trail) => {
    const region = trail.HomeRegion ?? trail.TrailARN?.split(':')[3] ?? '';
    try {
      const status = await clients.cloudtrail(region).send(new GetTrailStatusCommand({ Name: trail.TrailARN }));
      return [trail.TrailARN as string, withoutMetadata(status)] as const;
    } catch (error) {
      errors.push(apiError(error, 'GetTrailStatus', region, trail.TrailARN));
      return [trail.TrailARN as string, null] as const;
    }
  });
  return Object.fromEntries(statuses);
}
