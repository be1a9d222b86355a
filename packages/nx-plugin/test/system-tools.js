// Jest's global setup: the system tools the suite runs for real must be installed, or nothing
// runs and the one command that installs them is printed (instead of a failure per test).
const { spawnSync } = require('node:child_process');
const { installCommand, missingTools } = require('../../../tools/ci/system-tools');

module.exports = async function checkSystemTools() {
  const problems = [];
  const missing = missingTools();
  if (missing.length) {
    const list = missing.map((tool) => `  - ${tool.command} (${tool.why})`).join('\n');
    problems.push(`These tools are not installed:\n${list}\nInstall them with:\n  ${installCommand(missing)}`);
  }
  const terraform = process.env.PUSHBUTTON_TERRAFORM || 'terraform';
  if (spawnSync(terraform, ['version'], { stdio: 'ignore' }).status !== 0) {
    problems.push(`Terraform (>= 1.7) is not on PATH as \`${terraform}\`: install it (https://developer.hashicorp.com/terraform/install), or set PUSHBUTTON_TERRAFORM.`);
  }
  if (problems.length) throw new Error(`The test suite cannot run on this machine (see the README's set-up):\n\n${problems.join('\n\n')}\n`);
};
