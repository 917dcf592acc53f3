import type { Finding } from '../core/model.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import type { InputInfo } from './results.js';

/**
 * A collection gap as a finding: a Region whose trails could not be listed (or an account whose Regions could not
 * be), whatever rules run. No rule can fail a trail nobody saw, so without it a run over an incomplete snapshot
 * would pass; as an `unknown` finding it shows in every format and `--fail-on-unknown` fails the run.
 */
export const COVERAGE_RULE: RuleInfo = {
  id: 'trailguard-collection-coverage',
  title: "Every Region's trails were listed when the snapshot was collected",
  severity: 'high',
  pack: 'trailguard',
  description:
    'Reported by trailguard itself, whatever rule packs run: a Region whose trails could not be listed (DescribeTrails failed or gave an answer that was not a list), or an account whose enabled Regions could not be listed, holds trails no rule checked.',
  remediation:
    'Collect the snapshot again with permission to call cloudtrail:DescribeTrails in every enabled Region (and ec2:DescribeRegions); see collectors/iam-policy.json.',
  references: [],
  controls: {},
  tags: ['coverage'],
};

/** The operations whose failure leaves trails unlisted. */
const LISTING = new Set(['DescribeTrails', 'DescribeRegions']);

/** One `unknown` finding per Region (or account) whose trails were not listed and that no other input covers. */
export function coverageFindings(inputs: readonly InputInfo[]): Finding[] {
  const findings = new Map<string, Finding>();
  for (const input of inputs) {
    for (const error of input.errors) {
      if (!LISTING.has(error.operation) || error.coveredBy !== undefined) continue;
      const finding = gapFinding(input, error.operation, error.region ?? '', `${error.code}: ${error.message}`);
      if (!findings.has(finding.resource.id)) findings.set(finding.resource.id, finding);
    }
  }
  return [...findings.values()];
}

function gapFinding(input: InputInfo, operation: string, region: string, why: string): Finding {
  const account = input.account;
  const regions = operation === 'DescribeRegions';
  const message = regions
    ? `The enabled Regions of account ${account} could not be listed (${operation} failed, ${why}): only ${(input.regions ?? []).join(', ') || 'the Regions recorded'} were searched for trails, and trails elsewhere were not checked`
    : `The trails of account ${account} in ${region} could not be listed (${operation} failed, ${why}): any trail there was not checked`;
  return {
    ruleId: COVERAGE_RULE.id,
    severity: COVERAGE_RULE.severity,
    resource: {
      id: regions ? `arn:${input.partition}:ec2::${account}:regions` : `arn:${input.partition}:cloudtrail:${region}:${account}:trail/*`,
      type: regions ? 'AWS::EC2::Region' : 'AWS::CloudTrail::Trail',
      account,
      region: regions ? '' : region,
      name: regions ? `the Regions of ${account}` : `the trails of ${account} in ${region}`,
    },
    status: 'unknown',
    message,
    evidence: { error: `${operation} failed in ${input.path}: ${why}` },
  };
}
