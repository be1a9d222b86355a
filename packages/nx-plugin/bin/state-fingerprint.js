#!/usr/bin/env node
// @ts-check
// Runtime cache input of `<stack>-apply` when the stack's state is kept in S3: prints one
// token per mode for the stack's Terraform state (see src/state-token.js).
// Usage: state-fingerprint.js <stack>
const { stateFingerprint } = require('../src/state-token');

async function main() {
  const stack = process.argv[2];
  if (!stack) throw new Error('usage: state-fingerprint.js <stack>');
  const root = process.env.NX_WORKSPACE_ROOT ?? process.cwd();
  process.stdout.write((await stateFingerprint(root, stack, { remote: true })) + '\n');
}

main().catch((error) => {
  process.stderr.write(`state-fingerprint: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
