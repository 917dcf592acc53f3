import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Finding, FindingLocation, Severity, Status } from '../core/model.js';
import { jsonSafe } from '../core/safe-text.js';
import type { RuleInfo } from '../rules/compiled-rule.js';
import type { Formatter } from './formatter.js';

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub's 0–10 security-severity scale, by rule severity. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { critical: '9.5', high: '7.5', medium: '5.0', low: '3.0', info: '0.0' };
const KIND: Readonly<Record<Status, string>> = {
  fail: 'fail',
  error: 'review',
  unknown: 'review',
  pass: 'pass',
  skip: 'notApplicable',
  waived: 'fail',
};

/**
 * SARIF 2.1.0: one run, a reporting descriptor per rule (stable ids, levels from severity), one result per finding
 * with the resource ARN as a logical location and a fingerprint of (rule, resource) that is stable across runs.
 * Only `fail` results carry a level; waived findings are fails with an external suppression.
 */
export const sarifFormatter: Formatter = {
  name: 'sarif',
  extension: 'sarif',
  description: 'SARIF 2.1.0 for code-scanning and security dashboards',
  *format(results) {
    const rules = results.head.rules;
    const index = new Map(rules.map((r, i) => [r.id, i]));
    const items = [...results.findings].map((f) => result(f, index.get(f.ruleId) ?? -1));
    const log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'trailguard',
              version: results.head.tool.version,
              informationUri: 'https://github.com/trailguard/trailguard',
              rules: rules.map(descriptor),
            },
          },
          invocations: [{ executionSuccessful: true, endTimeUtc: results.head.generatedAt }],
          results: items,
        },
      ],
    };
    yield `${jsonSafe(JSON.stringify(log, null, 2))}\n`;
  },
};

/**
 * SARIF's helpUri is a URI viewers open: only a reference that parses as an https URL, written as the URL writes it
 * (no spaces, no characters it would have to escape), qualifies. A rule file's text is untrusted.
 */
export function isHttpsUri(reference: string): boolean {
  if (!URL.canParse(reference)) return false;
  const url = new URL(reference);
  return url.protocol === 'https:' && url.hostname !== '' && (url.href === reference || url.href === `${reference}/`);
}

function descriptor(rule: RuleInfo) {
  const helpUri = rule.references.find(isHttpsUri);
  return {
    id: rule.id,
    name: rule.id,
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.description ?? rule.title },
    ...(rule.remediation === undefined ? {} : { help: { text: rule.remediation } }),
    ...(helpUri === undefined ? {} : { helpUri }),
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ['security', ...rule.tags],
      'security-severity': SECURITY_SEVERITY[rule.severity],
      severity: rule.severity,
      controls: rule.controls,
    },
  };
}

/**
 * The file and line of a finding on an imported template or plan, as code scanning annotates it: a relative path
 * as a relative URI (resolved against the checkout), an absolute one as a file URI.
 */
function physicalLocation(location: FindingLocation) {
  const path = location.file.replaceAll('\\', '/');
  const uri = path.startsWith('/') ? pathToFileURL(path).href : path.split('/').map(encodeURIComponent).join('/');
  return { artifactLocation: { uri }, region: { startLine: location.line, startColumn: location.column } };
}

function result(f: Finding, ruleIndex: number) {
  const kind = KIND[f.status];
  return {
    ruleId: f.ruleId,
    ...(ruleIndex < 0 ? {} : { ruleIndex }),
    kind,
    level: kind === 'fail' ? LEVEL[f.severity] : 'none',
    message: { text: f.message },
    locations: [
      {
        ...(f.location === undefined ? {} : { physicalLocation: physicalLocation(f.location) }),
        logicalLocations: [{ fullyQualifiedName: f.resource.id, name: f.resource.name ?? f.resource.id, kind: 'resource' }],
        message: { text: `${f.resource.type} in account ${f.resource.account}, ${f.resource.region || 'global'}` },
      },
    ],
    partialFingerprints: { 'trailguardFinding/v1': createHash('sha256').update(`${f.ruleId}\u0000${f.resource.id}`).digest('hex') },
    ...(f.status === 'waived'
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: f.evidence.waiver?.reason ?? 'waived' }] }
      : {}),
    properties: {
      status: f.status,
      severity: f.severity,
      account: f.resource.account,
      region: f.resource.region,
      resourceType: f.resource.type,
      evidence: f.evidence,
      ...(f.fix === undefined ? {} : { fix: f.fix }),
    },
  };
}
