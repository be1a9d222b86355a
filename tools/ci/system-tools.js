// @ts-check
// The system tools the test suite runs for real, and the Debian packages that have them: one list,
// which the suite checks before any test (packages/nx-plugin/test/system-tools.js), .ci/run
// installs, and the README's set-up names.
const { spawnSync } = require('node:child_process');

/** @type {{ command: string, package: string, why: string }[]} */
const SYSTEM_TOOLS = [
  { command: 'shellcheck', package: 'shellcheck', why: 'checks every rendered shell script' },
  { command: 'cloud-init', package: 'cloud-init', why: "checks the workers' rendered cloud-config (cloud-init schema)" },
  { command: 'chromium', package: 'chromium', why: 'opens the rendered study report in a headless browser' },
];

/** The tools that are not on PATH. */
function missingTools() {
  return SYSTEM_TOOLS.filter(({ command }) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0);
}

/** The one command that installs them on Debian or Ubuntu. @param {{ package: string }[]} tools */
const installCommand = (tools) => `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${[...new Set(tools.map((t) => t.package))].join(' ')}`;

module.exports = { SYSTEM_TOOLS, missingTools, installCommand };
