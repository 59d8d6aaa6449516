import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/load/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds dist/ when a source is newer: child-process tests run the compiled relay and CLI.
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
  },
});
