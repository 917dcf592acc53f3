import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';

// .ci/totals.cjs prints the closing line CI counts: a run that fails must never close with "0 failed".
function totals(report: object): string {
  const path = join(tempDir(), 'vitest.json');
  writeFileSync(path, JSON.stringify(report));
  return execFileSync(process.execPath, [join(ROOT, '.ci', 'totals.cjs'), path], { encoding: 'utf8' }).trim();
}

const passed = { status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'passed' }] };

describe('the CI totals line', () => {
  it('a test file that fails in a hook, with every test passed, counts as one failure', () => {
    const hookFailed = { status: 'failed', assertionResults: [{ status: 'passed' }] };
    expect(totals({ numPassedTests: 3, numFailedTests: 0, testResults: [passed, hookFailed] })).toBe('3 passed, 1 failed');
  });

  it('twin: a file whose failure is a failed test counts that test once', () => {
    const testFailed = { status: 'failed', assertionResults: [{ status: 'passed' }, { status: 'failed' }] };
    expect(totals({ numPassedTests: 3, numFailedTests: 1, testResults: [passed, testFailed] })).toBe('3 passed, 1 failed');
  });

  it('skipped and todo tests are said, and a clean run closes with 0 failed', () => {
    expect(totals({ numPassedTests: 2, numFailedTests: 0, numPendingTests: 1, numTodoTests: 1, testResults: [passed] })).toBe(
      '2 passed, 0 failed, 2 skipped',
    );
  });
});
