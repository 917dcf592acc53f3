import type { Policy, RequestPrincipal, Statement } from './types.js';

/** Where the request's caller comes from: given, or each IAM principal that an Allow statement names. */
export type PrincipalSource =
  | { readonly kind: 'fixed'; readonly principal: RequestPrincipal }
  | { readonly kind: 'named-by-policy'; readonly defaultAccount: string; readonly partition: string };

/** A caller to try, with the statement that names it (for principals named by the policy). */
export interface Candidate {
  readonly principal: RequestPrincipal;
  readonly statement?: Statement;
  /** How to name the caller in reasons when it stands for more than one identity (a `*` principal). */
  readonly description?: string;
}

/**
 * The callers to try: the given one, or each IAM principal an Allow statement names — an account (standing for
 * itself), a role or user ARN, or `*` (see `principalDescribedBy`). Service principals are not IAM principals.
 */
export function candidatesFor(policy: Policy, source: PrincipalSource): Candidate[] {
  if (source.kind === 'fixed') return [{ principal: source.principal }];
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const statement of policy.statements) {
    if (statement.effect !== 'Allow' || statement.principals === undefined) continue;
    for (const entry of statement.principals) {
      let candidate: Candidate | undefined;
      if (entry.kind === 'aws-account')
        candidate = { principal: accountRoot(source.partition, entry.account), statement, description: `account ${entry.account}` };
      else if (entry.kind === 'aws-arn') candidate = { principal: { kind: 'aws', arn: entry.arn, account: entry.account }, statement };
      else if (entry.kind === 'any') candidate = { ...principalDescribedBy(statement, source), statement };
      if (candidate === undefined || candidate.principal.kind !== 'aws') continue;
      const key = `${statement.index} ${candidate.principal.arn}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(candidate);
      }
    }
  }
  return out;
}

/**
 * A `*` principal stands for a caller the statement's own conditions describe (`aws:PrincipalArn`,
 * `kms:CallerAccount`, `aws:PrincipalAccount`), in the default account (the key's) when they say nothing.
 */
export function principalDescribedBy(
  statement: Statement,
  source: { defaultAccount: string; partition: string },
): Omit<Candidate, 'statement'> {
  const literal = (keys: readonly string[], operators: RegExp) =>
    statement.conditions.find((c) => keys.includes(c.keyLower) && c.base !== undefined && operators.test(c.base) && c.set === 'none')
      ?.values[0];
  const account = literal(['kms:calleraccount', 'aws:principalaccount'], /^StringEquals$/);
  const owner = account !== undefined && /^\d{12}$/.test(account) ? account : source.defaultAccount;
  const arnPattern = literal(['aws:principalarn'], /^(StringEquals|StringLike|ArnEquals|ArnLike)$/);
  if (arnPattern === undefined)
    return { principal: accountRoot(source.partition, owner), description: `any principal of account ${owner}` };
  const fields = arnPattern.split(':');
  if (fields.length >= 6 && /[*?]/.test(fields[4] ?? '')) fields[4] = owner;
  const arn = fields.join(':').replace(/\*/g, '').replace(/\?/g, 'x');
  return { principal: { kind: 'aws', arn, account: fields[4] ?? owner }, description: `principals matching ${arnPattern}` };
}

function accountRoot(partition: string, account: string): RequestPrincipal {
  return { kind: 'aws', arn: `arn:${partition}:iam::${account}:root`, account };
}

/**
 * Whether a statement only delegates to an account's own IAM policies: an unconditioned Allow naming accounts
 * (`arn:aws:iam::111122223333:root`), as every default key policy holds. It is never the reason a check fails: it
 * stays in a compliant policy, and what a failing policy lacks is another statement.
 */
export function isDelegation(statement: Statement): boolean {
  return (
    statement.effect === 'Allow' &&
    statement.conditions.length === 0 &&
    statement.principals !== undefined &&
    statement.principals.length > 0 &&
    statement.principals.every((p) => p.kind === 'aws-account')
  );
}
