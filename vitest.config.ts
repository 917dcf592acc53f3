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
    // Hooks start moto and Chromium, make large snapshots and remove temporary folders: on a busy CI machine these
    // can outlast vitest's 10 s default, which failed a run whose every test had passed.
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
