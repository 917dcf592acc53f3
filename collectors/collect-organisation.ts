import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { CredentialsError } from './api-error.js';
import type { AwsClients } from './aws-clients.js';
import { type CollectOptions, collectAccount } from './collect-account.js';
import { mapLimit } from './concurrency.js';
import type { CollectedSnapshot } from './snapshot.js';

export interface OrganisationOptions extends CollectOptions {
  readonly accounts: readonly string[];
  readonly roleName: string;
  readonly externalId?: string;
  /** The partition of the calling account, for the role ARNs. */
  readonly partition: string;
  /** Accounts collected at once. */
  readonly accountConcurrency?: number;
  readonly onAccount?: (result: AccountResult) => void;
}

/** Credentials for the role in one account; by default sts:AssumeRole with the base credentials. */
export type AssumeRole = (roleArn: string, base: AwsCredentialIdentityProvider, externalId?: string) => AwsCredentialIdentityProvider;

const assumeWithSts: AssumeRole = (roleArn, base, externalId) =>
  fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: roleArn, RoleSessionName: 'trailguard-collect', ...(externalId === undefined ? {} : { ExternalId: externalId }) },
  });

/**
 * Why the role could not be used, with what to check. The base credentials were already accepted, so a refusal here
 * is about the role (missing, not trusting the caller, the external id), not the credentials: the generic advice to
 * refresh them would send an operator the wrong way.
 */
function assumeRoleError(error: CredentialsError, roleArn: string, options: OrganisationOptions): string {
  const cause = error.cause as { name?: string; message?: string } | undefined;
  const account = roleArn.split(':')[4];
  if (error.code === 'credentials-rejected') {
    const externalId = options.externalId === undefined ? '' : ', with the external id given';
    return `cannot assume ${options.roleName} in ${account}: AWS STS refused sts:AssumeRole on ${roleArn} (${cause?.name ?? 'Error'}: ${cause?.message ?? ''}): check that the role exists in ${account}, that its trust policy lets the calling principal assume it${externalId}, and that the caller may call sts:AssumeRole on it`;
  }
  return `cannot assume ${options.roleName} in ${account}: ${error.message}`;
}

export type AccountResult =
  | { readonly account: string; readonly snapshot: CollectedSnapshot }
  | { readonly account: string; readonly error: string };

/**
 * Collects several accounts by assuming `roleName` in each (with the external id when given), a few at a time. One
 * account's failure (the role cannot be assumed, its credentials are refused) is its result, not the others'.
 */
export async function collectOrganisation(
  makeClients: (credentials: AwsCredentialIdentityProvider) => AwsClients,
  base: AwsCredentialIdentityProvider,
  options: OrganisationOptions,
  assume: AssumeRole = assumeWithSts,
): Promise<AccountResult[]> {
  return mapLimit(options.accounts, options.accountConcurrency ?? 4, async (account): Promise<AccountResult> => {
    const roleArn = `arn:${options.partition}:iam::${account}:role/${options.roleName}`;
    const credentials = assume(roleArn, base, options.externalId);
    let result: AccountResult;
    try {
      result = { account, snapshot: await collectAccount(makeClients(credentials), options) };
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      result = { account, error: assumeRoleError(error, roleArn, options) };
    }
    options.onAccount?.(result);
    return result;
  });
}
