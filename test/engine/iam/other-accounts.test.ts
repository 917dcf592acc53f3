import { describe, expect, it } from 'vitest';
import { otherAccounts } from '../../../engine/iam/other-accounts.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';

const own = '111122223333';

function probeAccounts(patterns: string[]): readonly string[] {
  const policy = parsePolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:SourceArn': patterns } } }],
  });
  return otherAccounts(policy, own);
}

describe('another account for the scoping probe', () => {
  it('is an account the policy does not name', () => {
    const accounts = probeAccounts([`arn:aws:cloudtrail:*:${own}:trail/*`, 'arn:aws:cloudtrail:*:999999999999:trail/*']);
    expect(accounts).not.toContain(own);
    expect(accounts).not.toContain('999999999999');
    expect(accounts.length).toBeGreaterThan(0);
  });
  it('includes an instance of each wildcard account pattern', () => {
    expect(probeAccounts(['arn:aws:cloudtrail:*:1111*:trail/*'])).toContain('111100000000');
    expect(probeAccounts(['arn:aws:cloudtrail:*:11112222333?:trail/*'])).toContain('111122223330');
  });
  it('skips an instance that is the own account and tries another filler digit', () => {
    expect(probeAccounts(['arn:aws:cloudtrail:*:11112222333?:trail/*', 'arn:aws:cloudtrail:*:111122223330:trail/*'])).toContain(
      '111122223331',
    );
  });
  it('every candidate is a 12-digit id', () => {
    for (const id of probeAccounts(['*', '1*2', '??'])) expect(id).toMatch(/^\d{12}$/);
  });
});
