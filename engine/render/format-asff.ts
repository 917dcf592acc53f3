import type { Finding, Severity, Status } from '../core/model.js';
import { jsonSafe } from '../core/safe-text.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import { cut, findingUid, partitionOf, requirements } from './finding-identity.js';
import { isHttpsUri } from './format-sarif.js';
import type { Formatter } from './formatter.js';

/** Security Hub's compliance status for each verdict (a waived finding is a failure whose workflow is suppressed). */
const COMPLIANCE: Readonly<Record<Status, 'PASSED' | 'FAILED' | 'WARNING' | 'NOT_AVAILABLE'>> = {
  pass: 'PASSED',
  fail: 'FAILED',
  waived: 'FAILED',
  unknown: 'WARNING',
  error: 'NOT_AVAILABLE',
  skip: 'NOT_AVAILABLE',
};
const LABEL: Readonly<Record<Severity, string>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFORMATIONAL',
};
/** The resource types Security Hub details, by CloudFormation type; anything else is `Other`. */
const RESOURCE_TYPES: Readonly<Record<string, string>> = { 'AWS::CloudTrail::Trail': 'AwsCloudTrailTrail', 'AWS::KMS::Key': 'AwsKmsKey' };
const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov']);
/** BatchImportFindings takes at most this many findings per call. */
const BATCH = 100;

/**
 * The AWS Security Finding Format: one finding per (rule, resource), as `BatchImportFindings` input. Each line is one
 * call's input, `{"Findings": […]}` with at most 100 findings of one account and Region (the Region to call):
 * `while read -r batch; do aws securityhub batch-import-findings --cli-input-json "$batch" --region …; done`. Ids
 * are the rule and the resource, so a later import updates the finding instead of adding another.
 */
export const asffFormatter: Formatter = {
  name: 'asff',
  extension: 'jsonl',
  description: 'AWS Security Finding Format: BatchImportFindings input, one call per line',
  *format(results) {
    const rules = new Map(results.head.rules.map((r) => [r.id, r]));
    const batches = new Map<string, Record<string, unknown>[]>();
    for (const finding of results.findings) {
      const item = asff(finding, rules.get(finding.ruleId), results.head.generatedAt, results.head.tool.version);
      const key = `${item.AwsAccountId} ${(item.Resources as { Region: string }[])[0]?.Region}`;
      let batch = batches.get(key);
      if (batch === undefined) {
        batch = [];
        batches.set(key, batch);
      }
      batch.push(item);
      if (batch.length === BATCH) {
        yield `${jsonSafe(JSON.stringify({ Findings: batch }))}\n`;
        batches.set(key, []);
      }
    }
    for (const batch of batches.values()) if (batch.length > 0) yield `${jsonSafe(JSON.stringify({ Findings: batch }))}\n`;
  },
};

function asff(finding: Finding, rule: RuleInfo | undefined, generatedAt: string, version: string): Record<string, unknown> {
  const resource = finding.resource;
  const found = partitionOf(resource);
  const partition = PARTITIONS.has(found) ? found : 'aws';
  const region = resource.region === '' ? 'us-east-1' : resource.region;
  const account = resource.account;
  const status = COMPLIANCE[finding.status];
  const related = requirements(rule)
    .slice(0, 32)
    .map((r) => cut(r, 256));
  const url = rule?.references.find(isHttpsUri);
  return {
    SchemaVersion: '2018-10-08',
    Id: findingUid(finding),
    ProductArn: `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`,
    ProductName: 'trailguard',
    CompanyName: 'trailguard',
    GeneratorId: `trailguard/${finding.ruleId}`,
    AwsAccountId: account,
    Types: [
      related.length > 0 ? 'Software and Configuration Checks/Industry and Regulatory Standards' : 'Software and Configuration Checks',
    ],
    CreatedAt: generatedAt,
    UpdatedAt: generatedAt,
    Severity: { Label: status === 'PASSED' ? 'INFORMATIONAL' : LABEL[finding.severity], Original: finding.severity },
    Title: cut(rule?.title ?? finding.ruleId, 256),
    Description: cut(finding.message, 1024),
    ...(rule?.remediation === undefined
      ? {}
      : { Remediation: { Recommendation: { Text: cut(rule.remediation, 512), ...(url === undefined ? {} : { Url: url }) } } }),
    ProductFields: {
      'trailguard/status': finding.status,
      'trailguard/ruleId': finding.ruleId,
      ...(rule === undefined ? {} : { 'trailguard/pack': rule.pack }),
      'trailguard/version': version,
      ...(finding.location === undefined
        ? {}
        : { 'trailguard/location': `${finding.location.file}:${finding.location.line}:${finding.location.column}` }),
    },
    Resources: [
      {
        Type: RESOURCE_TYPES[resource.type] ?? 'Other',
        Id: resource.id,
        Partition: partition,
        Region: region,
        ...(resource.name === undefined ? {} : { Details: { Other: { name: cut(resource.name, 1024) } } }),
      },
    ],
    Compliance: { Status: status, ...(related.length === 0 ? {} : { RelatedRequirements: related }) },
    ...(finding.status === 'waived' ? { Workflow: { Status: 'SUPPRESSED' } } : {}),
    RecordState: 'ACTIVE',
  };
}
