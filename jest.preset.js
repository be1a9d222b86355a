// What every package's jest.config.js shares: TypeScript through swc, Node, and the matchers the
// tests use (a message on expect, aws-sdk-client-mock's matchers).
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// A cdktf App made without an outdir writes to ./cdktf.out; tests keep it out of the tree.
process.env.CDKTF_OUTDIR ??= join(tmpdir(), 'pushbutton-test-cdktf.out');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFilesAfterEnv: ['jest-expect-message', 'aws-sdk-client-mock-jest'],
  // Terraform and Nx run as child processes; the slow suites set their own timeouts.
  testTimeout: 30_000,
  // Most of the time is spent waiting for Terraform and Nx child processes: two files at a time
  // (jest's default is one worker on two cores).
  maxWorkers: 2,
};
