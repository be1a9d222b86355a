// Delivery: the exact ssh and scp invocations with a host, the printed commands without one.
// `run` is the boundary to the system; the tests spy on it here, and ssh-delivery.test.ts runs
// the same code against a real sshd.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailed, deliverBundle, runCommand, uninstallBundle } from '../../src/bundles/deliver-bundle';

const BUNDLE = '/work/lab/.pushbutton/bundles/live/pushbutton-core-lab-gateway.tar.gz';
const ROOT_NAME = 'pushbutton-core-lab-gateway';
/** Root runs the script as it is (a device may have no sudo); any other login through sudo. */
const AS_ROOT = (script: string) => `if [ "$(id -u)" -eq 0 ]; then ${script}; else sudo ${script}; fi`;

// Whatever the person running the tests has set.
beforeEach(() => delete process.env.PUSHBUTTON_SSH_CONFIG);
afterAll(() => delete process.env.PUSHBUTTON_SSH_CONFIG);

function deliver(host?: string, run = jest.fn(async (_command: string, _args: string[]) => {}), bundleDir?: string) {
  const printed: string[] = [];
  const delivery = deliverBundle({ bundleFile: BUNDLE, rootName: ROOT_NAME, host, sshPort: 2222, bundleDir, print: (line) => printed.push(line), run });
  return { delivery, printed, run };
}

/** The remote command must be valid shell that shellcheck accepts. */
function expectCleanShell(remote: string): void {
  expect(spawnSync('bash', ['-n', '-c', remote]).status).toBe(0);
  expect(spawnSync('shellcheck', ['-s', 'sh', '-'], { input: remote, encoding: 'utf8' }).stdout).toBe('');
}

describe('deliverBundle', () => {
  it('without a host, prints how to copy and install the bundle, and runs nothing', async () => {
    const { delivery, printed, run } = deliver();
    await delivery;
    expect(run).not.toHaveBeenCalled();
    expect(printed[0]).toContain('no host is configured');
    expect(printed).toContain(`  1. Copy the bundle to the device, e.g.: scp ${BUNDLE} <user>@<device>:`);
    expect(printed).toContain('       tar -xzf pushbutton-core-lab-gateway.tar.gz');
    expect(printed).toContain('       sudo ./pushbutton-core-lab-gateway/install.sh');
  });

  it('with a host, copies the bundle with scp to the login\'s home and installs it with ssh, on the configured port', async () => {
    const { delivery, run } = deliver('pi@192.0.2.10');
    await delivery;
    expect(run.mock.calls).toEqual([
      ['scp', ['-P', '2222', '-o', 'BatchMode=yes', BUNDLE, 'pi@192.0.2.10:']],
      ['ssh', ['-p', '2222', '-o', 'BatchMode=yes', 'pi@192.0.2.10', `tar -xzf pushbutton-core-lab-gateway.tar.gz && ${AS_ROOT('./pushbutton-core-lab-gateway/install.sh')}`]],
    ]);
    expectCleanShell(run.mock.calls[1][1].at(-1)!);
  });

  it('with a bundleDir, copies the bundle there and unpacks and installs it there', async () => {
    const { delivery, run } = deliver('root@192.0.2.10', undefined, '/opt/pushbutton');
    await delivery;
    expect(run.mock.calls).toEqual([
      ['scp', ['-P', '2222', '-o', 'BatchMode=yes', BUNDLE, 'root@192.0.2.10:/opt/pushbutton/']],
      [
        'ssh',
        ['-p', '2222', '-o', 'BatchMode=yes', 'root@192.0.2.10', `cd /opt/pushbutton && tar -xzf pushbutton-core-lab-gateway.tar.gz && ${AS_ROOT('./pushbutton-core-lab-gateway/install.sh')}`],
      ],
    ]);
    expectCleanShell(run.mock.calls[1][1].at(-1)!);
  });

  it('passes PUSHBUTTON_SSH_CONFIG to scp and ssh as -F, and says so when the file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushbutton-ssh-config-'));
    try {
      const config = join(dir, 'ssh_config');
      writeFileSync(config, 'Host *\n  IdentitiesOnly yes\n');
      process.env.PUSHBUTTON_SSH_CONFIG = config;
      const { delivery, run } = deliver('pi@192.0.2.10');
      await delivery;
      expect(run.mock.calls.map(([command, args]) => [command, args.slice(0, 6)])).toEqual([
        ['scp', ['-P', '2222', '-F', config, '-o', 'BatchMode=yes']],
        ['ssh', ['-p', '2222', '-F', config, '-o', 'BatchMode=yes']],
      ]);
      process.env.PUSHBUTTON_SSH_CONFIG = join(dir, 'missing');
      const missing = deliver('pi@192.0.2.10');
      await expect(missing.delivery).rejects.toThrow(`PUSHBUTTON_SSH_CONFIG names the ssh config ${join(dir, 'missing')}, which does not exist.`);
      expect(missing.run).not.toHaveBeenCalled();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never turns host key checking off', async () => {
    const { delivery, run } = deliver('pi@192.0.2.10');
    await delivery;
    expect(JSON.stringify(run.mock.calls)).not.toMatch(/StrictHostKeyChecking|UserKnownHostsFile/i);
  });

  it('names a changed host key, the known_hosts file ssh named, and what to do', async () => {
    const stderr = [
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'Offending ED25519 key in /home/ci/.ssh/known_hosts:3',
      'Host key for [192.0.2.10]:2222 has changed and you have requested strict checking.',
      'Host key verification failed.',
    ].join('\n');
    const failingCopy = jest.fn(async (_command: string, _args: string[]) => {}).mockRejectedValueOnce(new CommandFailed('scp failed with exit code 255', 255, stderr));
    const { delivery, run } = deliver('pi@192.0.2.10', failingCopy);
    await expect(delivery).rejects.toThrow(
      'The host key of [192.0.2.10]:2222 does not match the one in /home/ci/.ssh/known_hosts, so Pushbutton will not connect to it',
    );
    await expect(delivery).rejects.toThrow("ssh-keygen -f /home/ci/.ssh/known_hosts -R '[192.0.2.10]:2222'");
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('names an unknown host key', async () => {
    const failingCopy = jest.fn(async (_command: string, _args: string[]) => {}).mockRejectedValueOnce(new CommandFailed('scp failed', 255, 'Host key verification failed.\n'));
    const { delivery } = deliver('pi@192.0.2.10', failingCopy);
    await expect(delivery).rejects.toThrow(/^The host key of \[192\.0\.2\.10\]:2222 is not in \S*known_hosts, so Pushbutton will not connect to it \(ssh runs in BatchMode/);
  });

  it('keeps the failure of the remote command as it is, even when its output looks like ssh\'s', async () => {
    const failingInstall = jest
      .fn(async (_command: string, _args: string[]) => {})
      .mockResolvedValueOnce()
      .mockRejectedValueOnce(new CommandFailed('ssh failed with exit code 1', 1, 'Permission denied (publickey)\n'));
    const { delivery } = deliver('pi@192.0.2.10', failingInstall);
    await expect(delivery).rejects.toThrow(/^ssh failed with exit code 1$/);
  });

  it('does not try to install when the copy fails', async () => {
    const failingCopy = jest.fn(async (_command: string, _args: string[]) => {}).mockRejectedValueOnce(new Error('scp failed with exit code 1'));
    const { delivery, run } = deliver('pi@192.0.2.10', failingCopy);
    await expect(delivery).rejects.toThrow('scp failed with exit code 1');
    expect(run).toHaveBeenCalledTimes(1);
  });
});

describe('uninstallBundle', () => {
  const uninstall = (host?: string) => {
    const printed: string[] = [];
    const run = jest.fn(async (_command: string, _args: string[]) => {});
    return { done: uninstallBundle({ rootName: ROOT_NAME, host, sshPort: 2222, print: (line) => printed.push(line), run }), printed, run };
  };

  it('with a host, runs the unpacked uninstall.sh there and removes the bundle and its key, over ssh on the configured port', async () => {
    const { done, run } = uninstall('pi@192.0.2.10');
    await done;
    expect(run.mock.calls).toEqual([
      [
        'ssh',
        [
          '-p',
          '2222',
          '-o',
          'BatchMode=yes',
          'pi@192.0.2.10',
          `if [ -x ./pushbutton-core-lab-gateway/uninstall.sh ]; then ${AS_ROOT('./pushbutton-core-lab-gateway/uninstall.sh')}; else echo 'pushbutton-core-lab-gateway is not on this host: nothing to uninstall'; fi && rm -rf pushbutton-core-lab-gateway pushbutton-core-lab-gateway.tar.gz`,
        ],
      ],
    ]);
  });

  it('the remote command is valid shell that shellcheck accepts', async () => {
    const { done, run } = uninstall('pi@192.0.2.10');
    await done;
    expectCleanShell(run.mock.calls[0][1].at(-1)!);
  });

  it('with a bundleDir, uninstalls from there', async () => {
    const run = jest.fn(async (_command: string, _args: string[]) => {});
    await uninstallBundle({ rootName: ROOT_NAME, host: 'root@192.0.2.10', sshPort: 22, bundleDir: '/opt/pushbutton', print: () => {}, run });
    const remote = run.mock.calls[0][1].at(-1)!;
    expect(remote).toMatch(/^cd \/opt\/pushbutton && if \[ -x /);
    expectCleanShell(remote);
  });

  it('without a host, prints the command to run on the device and runs nothing', async () => {
    const { done, printed, run } = uninstall();
    await done;
    expect(run).not.toHaveBeenCalled();
    expect(printed).toEqual([expect.stringContaining('run: sudo ./pushbutton-core-lab-gateway/uninstall.sh')]);
  });
});

describe('runCommand', () => {
  it('resolves when the command succeeds', async () => {
    await expect(runCommand('true', [])).resolves.toBeUndefined();
  });

  it('rejects naming the command and its exit code', async () => {
    await expect(runCommand('sh', ['-c', 'exit 3'])).rejects.toThrow("sh -c 'exit 3' failed with exit code 3");
  });

  it('shows the output live and keeps the end of stderr in the failure', async () => {
    const shown = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const failure = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 255']).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CommandFailed);
      expect(failure).toMatchObject({ exitCode: 255, stderr: 'err\n' });
      expect(shown.mock.calls.map(([chunk]) => String(chunk)).join('')).toContain('out\n');
      expect(errors.mock.calls.map(([chunk]) => String(chunk)).join('')).toContain('err\n');
    } finally {
      shown.mockRestore();
      errors.mockRestore();
    }
  });

  it('rejects naming a command that does not exist', async () => {
    await expect(runCommand('pushbutton-no-such-command', ['x'])).rejects.toThrow('pushbutton-no-such-command x could not start: spawn pushbutton-no-such-command ENOENT');
  });
});
