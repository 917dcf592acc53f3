import { defineConfig } from 'vitest/config';

/**
 * The suites Stryker runs against each mutant of the IAM evaluator (`npm run mutation`): every in-process test of
 * the evaluator, the IAM operators and the built-in key-policy rules. Suites that run the built CLI from dist/ are
 * left out: they would test the unmutated build.
 */
export default defineConfig({
  test: {
    include: [
      'test/engine/**/*.test.ts',
      'test/rules/key-policy-corpus.test.ts',
      'test/rules/builtin-statuses.test.ts',
      'test/rules/fixes.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
