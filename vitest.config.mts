import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Terraform and Nx run as child processes; the slow suites set their own timeouts.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A cdktf App made without an outdir writes to ./cdktf.out; tests keep it out of the tree.
    env: { CDKTF_OUTDIR: join(tmpdir(), 'pushbutton-test-cdktf.out') },
  },
});
