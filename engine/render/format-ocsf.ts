import type { Finding, Severity, Status } from '../core/model.js';
import { jsonSafe } from '../core/safe-text.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import { findingUid, partitionOf, requirements } from './finding-identity.js';
import type { Formatter } from './formatter.js';

/** OCSF schema version of the events written. */
export const OCSF_VERSION = '1.5.0';
const SEVERITY: Readonly<Record<Severity, readonly [number, string]>> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};
/** The compliance status of each verdict: Pass 1, Warning 2 (not decided), Fail 3, Other 99 (not applicable, waived). */
const COMPLIANCE_STATUS: Readonly<Record<Status, number>> = { pass: 1, unknown: 2, error: 2, fail: 3, skip: 99, waived: 99 };

/**
 * OCSF Compliance Findings (class 2003, schema 1.5.0): a JSON array of one event per (rule, resource). The finding's
 * uid is the rule and the resource, so a later export updates it; trailguard's own verdict and evidence are under
 * `unmapped`.
 */
export const ocsfFormatter: Formatter = {
  name: 'ocsf',
  extension: 'json',
  description: 'OCSF 1.5.0 Compliance Finding events',
  *format(results) {
    const rules = new Map(results.head.rules.map((r) => [r.id, r]));
    const time = Date.parse(results.head.generatedAt);
    yield '[';
    let first = true;
    for (const finding of results.findings) {
      const event = ocsf(finding, rules.get(finding.ruleId), time, results.head.tool.version);
      yield `${first ? '\n  ' : ',\n  '}${jsonSafe(JSON.stringify(event))}`;
      first = false;
    }
    yield `${first ? '' : '\n'}]\n`;
  },
};

function ocsf(finding: Finding, rule: RuleInfo | undefined, time: number, version: string): Record<string, unknown> {
  const [severityId, severity] = SEVERITY[finding.severity];
  const resource = finding.resource;
  const standards = requirements(rule);
  return {
    activity_id: 1,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2003,
    class_name: 'Compliance Finding',
    type_uid: 200301,
    type_name: 'Compliance Finding: Create',
    severity_id: severityId,
    severity,
    time,
    message: finding.message,
    metadata: { version: OCSF_VERSION, product: { name: 'trailguard', vendor_name: 'trailguard', version } },
    finding_info: {
      uid: findingUid(finding),
      title: rule?.title ?? finding.ruleId,
      ...(rule?.description === undefined ? {} : { desc: rule.description }),
      types: ['Compliance'],
      created_time: time,
    },
    compliance: {
      control: finding.ruleId,
      status_id: COMPLIANCE_STATUS[finding.status],
      ...(standards.length === 0 ? {} : { standards }),
    },
    resources: [
      {
        uid: resource.id,
        type: resource.type,
        ...(resource.name === undefined ? {} : { name: resource.name }),
        ...(resource.region === '' ? {} : { region: resource.region }),
        cloud_partition: partitionOf(resource),
        data: { account: resource.account },
      },
    ],
    ...(rule?.remediation === undefined ? {} : { remediation: { desc: rule.remediation, references: [...rule.references] } }),
    unmapped: {
      ...(finding.location === undefined
        ? {}
        : { location: `${finding.location.file}:${finding.location.line}:${finding.location.column}` }),
      trailguard_status: finding.status,
      evidence: finding.evidence,
      ...(finding.fix === undefined ? {} : { fix: finding.fix }),
    },
  };
}
