// A machine with only what the README's set-up names runs the suite; one without the system tools
// hears, before any test, what is missing and the one command that installs it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { installCommand, SYSTEM_TOOLS } from '../../../tools/ci/system-tools';

const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

it("names every system tool the tests need in the README's set-up, with the command that installs them", () => {
  for (const tool of SYSTEM_TOOLS) expect(README, tool.command).toContain(`\`${tool.command}\``);
  expect(README).toContain(installCommand(SYSTEM_TOOLS));
});

it('stops the suite before any test on a machine without them, saying what is missing and how to install it', () => {
  const machine = mkdtempSync(join(tmpdir(), 'pushbutton-bare-'));
  try {
    // A PATH with a shell and Node.js only.
    const bin = join(machine, 'bin');
    mkdirSync(bin);
    for (const command of ['sh', 'node']) {
      const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(found, join(bin, command));
    }
    const check = `require(${JSON.stringify(join(__dirname, 'system-tools.js'))})().then(() => console.log('ok'), (e) => { console.error(e.message); process.exit(1); })`;
    const env = { PATH: bin, PUSHBUTTON_BOTOCORE_PYTHON: join(bin, 'python3'), PUSHBUTTON_SSHD: join(bin, 'sshd'), PUSHBUTTON_MOSQUITTO: join(bin, 'mosquitto') };
    const result = spawnSync(join(bin, 'node'), ['-e', check], { encoding: 'utf8', env });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("The test suite cannot run on this machine (see the README's set-up)");
    for (const tool of SYSTEM_TOOLS) expect(result.stderr).toContain(`  - ${tool.command} (${tool.why})`);
    expect(result.stderr).toContain(installCommand(SYSTEM_TOOLS));
    expect(result.stderr).toContain('Terraform (>= 1.7) is not on PATH as `terraform`');
  } finally {
    rmSync(machine, { recursive: true, force: true });
  }
});
