/** A policy document's statements as a list: IAM allows one statement object, or none, in place of the list. */
export function statementsOf(policy: unknown): unknown[] {
  if (policy === null || typeof policy !== 'object') return [];
  const raw = (policy as { Statement?: unknown }).Statement;
  return Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
}

/**
 * The policy KMS gives a key created without one (its "default key policy"): the account's root, that is its IAM
 * policies, may do everything. `id` is the policy's Id (`key-default-1` as KMS writes it).
 */
export function defaultKeyPolicy(partition: string, account: string, id = 'key-default-1'): unknown {
  return {
    Version: '2012-10-17',
    Id: id,
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
}
