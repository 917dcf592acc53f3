import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ is built from the sources first: the CLI suites run it.
    globalSetup: ['test/global-setup.ts'],
    // Most suites wait on child processes (the CLI, moto, Chromium): more files at once than cores keeps both busy.
    maxWorkers: 3,
    environment: 'node',
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
