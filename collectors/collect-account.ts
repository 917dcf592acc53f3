import { DescribeTrailsCommand, GetTrailStatusCommand, type Trail } from '@aws-sdk/client-cloudtrail';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { quote } from '../engine/core/safe-text.js';
import { type ApiError, apiError, CredentialsError } from './api-error.js';
import type { AwsClients } from './aws-clients.js';
import { collectKeys, type KeyReference } from './collect-keys.js';
import { mapLimit } from './concurrency.js';
import { type Account, fitTrails, malformed, problemsOf, summarise } from './fit-snapshot.js';
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
  const organization = await describeOrganization(clients, home, { id: identity.account, partition: identity.partition }, errors);

  const account = { id: identity.account, partition: identity.partition };
  const perRegion = await mapLimit(regions, concurrency, async (region) => {
    try {
      const { trailList } = await clients.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
      const before = errors.length;
      const trails = fitTrails(account, region, trailList, errors) as Trail[];
      progress({ kind: 'region', region, trails: trails.length, failed: errors.length > before });
      return trails;
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
    snapshotAccount: account,
    onKey: (arn, failed) => progress({ kind: 'key', arn, failed }),
  });
  const snapshot: CollectedSnapshot = {
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
  // Every answer was fitted on the way in; a snapshot check would still refuse is a bug in the collector.
  const problems = problemsOf(account, { ...snapshot });
  if (problems.length > 0) throw new Error(`the collected snapshot would not load in check: ${summarise(problems)}`);
  return snapshot;
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
    return checkedIdentity(out.Account, out.Arn);
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw credentialsError(error);
  }
}

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']);

/**
 * GetCallerIdentity's answer, checked: every snapshot is about the account it names, so an answer without a 12-digit
 * account and an ARN in a known partition (a proxy's error page, a misconfigured endpoint) stops the collection.
 */
function checkedIdentity(account: unknown, arn: unknown): { account: string; arn: string; partition: string } {
  const partition = typeof arn === 'string' ? arn.split(':')[1] : undefined;
  if (
    typeof account === 'string' &&
    /^\d{12}$/.test(account) &&
    typeof arn === 'string' &&
    arn.startsWith('arn:') &&
    partition !== undefined &&
    PARTITIONS.has(partition)
  ) {
    return { account, arn, partition };
  }
  const found = `Account ${typeof account === 'string' ? quote(account) : String(account)}, Arn ${typeof arn === 'string' ? quote(arn) : String(arn)}`;
  throw new CredentialsError(
    `AWS STS answered GetCallerIdentity without a 12-digit account id and a caller ARN (found ${found}): the endpoint is not AWS STS or the answer was damaged on its way (check AWS_ENDPOINT_URL and any proxy)`,
    'sts-answer',
  );
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
  account: Account,
  errors: ApiError[],
): Promise<Record<string, unknown> | null | undefined> {
  try {
    const { Organization: organization } = await clients.organizations(home).send(new DescribeOrganizationCommand({}));
    if (organization === undefined) return undefined;
    const { AvailablePolicyTypes: _, ...record } = organization;
    const problems = problemsOf(account, { organization: record });
    if (problems.length === 0) return record;
    errors.push(
      malformed('DescribeOrganization', home, `the Organization in the answer does not fit the snapshot: ${summarise(problems)}`),
    );
    return undefined;
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
    if (!Array.isArray(Regions) || Regions.length === 0) {
      errors.push(malformed('DescribeRegions', home, `the answer holds no list of Regions: only ${home} is searched`));
      return [home];
    }
    const names: string[] = [];
    for (const region of Regions as unknown[]) {
      const { RegionName: name, OptInStatus: optIn } = (region ?? {}) as { RegionName?: unknown; OptInStatus?: unknown };
      if (optIn === 'not-opted-in') continue;
      if (typeof name !== 'string' || !REGION_NAME.test(name)) {
        errors.push(
          malformed(
            'DescribeRegions',
            home,
            `a Region in the answer has no usable name (found ${typeof name === 'string' ? quote(name) : String(name)}): it was not searched`,
          ),
        );
        continue;
      }
      if (partitionOf(name) === partition) names.push(name);
    }
    return names.sort();
  } catch (error) {
    errors.push(apiError(error, 'DescribeRegions', home));
    return [home];
  }
}

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

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
