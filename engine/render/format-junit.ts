import { createRequire } from 'node:module';
import type { XMLBuilder as Builder } from 'fast-xml-parser';
import { groupBy } from '../core/group-by.js';
import type { Finding } from '../core/model.js';
import { xmlSafe } from '../core/safe-text.js';
import { evidenceItems, evidenceLine, type Formatter } from './formatter.js';

/**
 * JUnit XML for CI test reports: a test suite per rule, a test case per finding. fail findings are failures, error
 * findings errors, skip and waived findings skipped; unknown findings are skipped — or failures with
 * --fail-on-unknown — so the report agrees with the exit code.
 */
export const junitFormatter: Formatter = {
  name: 'junit',
  extension: 'xml',
  description: 'JUnit XML, one test case per finding',
  *format(results) {
    const failOnUnknown = results.head.failOnUnknown;
    // Every rule gets a suite, in the pack's order, even when it produced no finding.
    const byRule = new Map<string, Finding[]>(results.head.rules.map((r) => [r.id, []]));
    for (const [ruleId, list] of groupBy(results.findings, (f) => f.ruleId)) byRule.set(ruleId, list);
    const count = (list: readonly Finding[], test: (f: Finding) => boolean) => list.filter(test).length;
    const failed = (f: Finding) => f.status === 'fail' || (failOnUnknown && f.status === 'unknown');
    const skipped = (f: Finding) => f.status === 'skip' || f.status === 'waived' || (!failOnUnknown && f.status === 'unknown');
    const all = [...byRule.values()].flat();
    const titles = new Map(results.head.rules.map((r) => [r.id, r.title]));
    const suites = [...byRule.entries()].map(([ruleId, list]) => ({
      '@_name': `${ruleId}: ${titles.get(ruleId) ?? ''}`,
      '@_tests': list.length,
      '@_failures': count(list, failed),
      '@_errors': count(list, (f) => f.status === 'error'),
      '@_skipped': count(list, skipped),
      '@_timestamp': results.head.generatedAt,
      testcase: list.map((f) => testcase(f, failed(f), skipped(f))),
    }));
    const document = {
      '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
      testsuites: {
        '@_name': 'trailguard',
        '@_tests': all.length,
        '@_failures': count(all, failed),
        '@_errors': count(all, (f) => f.status === 'error'),
        '@_skipped': count(all, skipped),
        testsuite: suites,
      },
    };
    // Loaded only when JUnit is written: it would be a tenth of every run's start-up.
    const { XMLBuilder } = createRequire(import.meta.url)('fast-xml-parser') as { XMLBuilder: typeof Builder };
    const builder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true, processEntities: true });
    yield `${xmlSafe(builder.build(document))}\n`;
  },
};

function testcase(f: Finding, failed: boolean, skipped: boolean) {
  const body = [f.message, ...evidenceItems(f).map(evidenceLine)].join('\n');
  const detail = failed
    ? { failure: { '@_message': f.message, '@_type': f.status, '#text': body } }
    : f.status === 'error'
      ? { error: { '@_message': f.message, '@_type': 'error', '#text': body } }
      : skipped
        ? { skipped: { '@_message': `${f.status}: ${f.message}` } }
        : {};
  return {
    '@_classname': f.ruleId,
    '@_name': f.resource.name === undefined ? f.resource.id : `${f.resource.name} (${f.resource.id})`,
    // The attributes CI test reporters read to link a test case to its source line.
    ...(f.location === undefined ? {} : { '@_file': f.location.file, '@_line': String(f.location.line) }),
    ...detail,
    'system-out': f.message,
  };
}
