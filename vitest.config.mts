import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Terraform and Nx run as child processes; the slow suites set their own timeouts.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
