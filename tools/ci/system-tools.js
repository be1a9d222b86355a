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

/** The OpenSSH server the delivery test starts: in /usr/sbin, which a user's PATH may lack; PUSHBUTTON_SSHD names another. */
const SSHD = process.env.PUSHBUTTON_SSHD || '/usr/sbin/sshd';

/** The MQTT broker the client broker test starts: Debian installs it in /usr/sbin too; PUSHBUTTON_MOSQUITTO names another. */
const MOSQUITTO = process.env.PUSHBUTTON_MOSQUITTO || '/usr/sbin/mosquitto';

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
  { command: 'ssh', package: 'openssh-client', why: 'delivers a bundle with scp and ssh, as a live delivery does' },
  { command: 'sshd', check: `test -x ${SSHD}`, package: 'openssh-server', why: 'the device a bundle is delivered to, on 127.0.0.1' },
  { command: 'mosquitto', check: `test -x ${MOSQUITTO}`, package: 'mosquitto', why: "the MQTT broker over TLS a client's rendered broker test connects to, on 127.0.0.1" },
  { command: 'mosquitto_rr', package: 'mosquitto-clients', why: "the MQTT client a client's rendered broker test runs" },
];

/** The tools that are not on PATH. */
function missingTools() {
  return SYSTEM_TOOLS.filter(({ command, check }) => spawnSync('sh', ['-c', check ?? `command -v ${command}`]).status !== 0);
}

/** The one command that installs them on Debian or Ubuntu. @param {{ package: string }[]} tools */
const installCommand = (tools) => `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${[...new Set(tools.map((t) => t.package))].join(' ')}`;

module.exports = { SYSTEM_TOOLS, BOTOCORE_PYTHON, SSHD, MOSQUITTO, missingTools, installCommand };
