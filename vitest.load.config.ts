import { defineConfig } from 'vitest/config';

/** The load/soak suite: `npm run test:load` (SOAK_SECONDS, default 300). Not part of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/load/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    // The flood test runs the relay in a child process from dist/, rebuilt when a source is newer.
    globalSetup: ['test/global-setup.ts'],
  },
});
