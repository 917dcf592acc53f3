import { GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { apiError } from './api-error.js';
import type { AwsClients } from './aws-clients.js';

/** A key policy to write: the key, its Region, and the policy. */
export interface PolicyWrite {
  readonly key: string;
  readonly region: string;
  readonly policy: unknown;
}

/** What became of one write: `written` with the policy read back afterwards, or `failed` with the error. */
export type WriteOutcome =
  | { readonly key: string; readonly status: 'written'; readonly readBack: unknown }
  | { readonly key: string; readonly status: 'failed'; readonly message: string };

/**
 * Writes each policy with kms:PutKeyPolicy, KMS's policy lockout safety check on, then reads it back with
 * kms:GetKeyPolicy for the caller to compare. One key's failure is recorded and the others are still written.
 */
export async function applyKeyPolicies(writes: readonly PolicyWrite[], clients: AwsClients): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (const write of writes) {
    const kms = clients.kms(write.region);
    try {
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId: write.key,
          PolicyName: 'default',
          Policy: JSON.stringify(write.policy),
          BypassPolicyLockoutSafetyCheck: false,
        }),
      );
    } catch (error) {
      const e = apiError(error, 'PutKeyPolicy', write.region, write.key);
      outcomes.push({ key: write.key, status: 'failed', message: `PutKeyPolicy failed: ${e.code}: ${e.message}` });
      continue;
    }
    try {
      const read = await kms.send(new GetKeyPolicyCommand({ KeyId: write.key, PolicyName: 'default' }));
      outcomes.push({
        key: write.key,
        status: 'written',
        readBack: read.Policy === undefined ? null : (JSON.parse(read.Policy) as unknown),
      });
    } catch (error) {
      const e = apiError(error, 'GetKeyPolicy', write.region, write.key);
      outcomes.push({ key: write.key, status: 'failed', message: `written, but reading it back failed: ${e.code}: ${e.message}` });
    }
  }
  return outcomes;
}
