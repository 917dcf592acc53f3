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
    const credentials = assume(`arn:${options.partition}:iam::${account}:role/${options.roleName}`, base, options.externalId);
    let result: AccountResult;
    try {
      result = { account, snapshot: await collectAccount(makeClients(credentials), options) };
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      result = { account, error: `cannot assume ${options.roleName} in ${account}: ${error.message}` };
    }
    options.onAccount?.(result);
    return result;
  });
}
