// @ts-check
// The system tools the test suite runs for real, and the Debian packages that have them: one list,
// which the suite checks before any test (packages/nx-plugin/test/system-tools.js), .ci/run
// installs, and the README's set-up names.
const { spawnSync } = require('node:child_process');

/**
 * Debian's own interpreter, which python3-botocore installs into (a python3 earlier on PATH, from
 * pyenv or a venv, may lack it); PUSHBUTTON_BOTOCORE_PYTHON names another one with botocore.
 */
const BOTOCORE_PYTHON = process.env.PUSHBUTTON_BOTOCORE_PYTHON || '/usr/bin/python3';

/** `check`: a shell command that succeeds when the tool is there (else `command -v <command>`). @type {{ command: string, package: string, why: string, check?: string }[]} */
const SYSTEM_TOOLS = [
  { command: 'shellcheck', package: 'shellcheck', why: 'checks every rendered shell script' },
  { command: 'cloud-init', package: 'cloud-init', why: "checks the workers' rendered cloud-config (cloud-init schema)" },
  { command: 'chromium', package: 'chromium', why: 'opens the rendered study report in a headless browser' },
  {
    command: 'python3',
    check: `${BOTOCORE_PYTHON} -c 'import botocore.validate'`,
    package: 'python3-botocore',
    why: "checks every AWS call the tests send against AWS's own service models (botocore)",
  },
];

/** The tools that are not on PATH. */
function missingTools() {
  return SYSTEM_TOOLS.filter(({ command, check }) => spawnSync('sh', ['-c', check ?? `command -v ${command}`]).status !== 0);
}

/** The one command that installs them on Debian or Ubuntu. @param {{ package: string }[]} tools */
const installCommand = (tools) => `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${[...new Set(tools.map((t) => t.package))].join(' ')}`;

module.exports = { SYSTEM_TOOLS, BOTOCORE_PYTHON, missingTools, installCommand };
