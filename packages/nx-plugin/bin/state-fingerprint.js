#!/usr/bin/env node
// @ts-check
// Runtime cache input of `<stack>-apply`: prints one token per mode for the stack's
// Terraform state (see src/state-token.js). Usage: state-fingerprint.js <stack>
const { MODES } = require('../src/paths');
const { stateToken } = require('../src/state-token');

async function main() {
  const stack = process.argv[2];
  if (!stack) throw new Error('usage: state-fingerprint.js <stack>');
  const root = process.env.NX_WORKSPACE_ROOT ?? process.cwd();
  const tokens = [];
  for (const mode of MODES) tokens.push(`${mode}:${await stateToken(root, mode, stack)}`);
  process.stdout.write(tokens.join(' ') + '\n');
}

main().catch((error) => {
  process.stderr.write(`state-fingerprint: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});
