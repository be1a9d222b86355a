// Delivery: the exact ssh and scp invocations with a host, the printed commands without one.
// `run` is the boundary to the system; the tests spy on it instead of faking an ssh server.
import { deliverBundle, runCommand, uninstallBundle } from '../../src/bundles/deliver-bundle';

const BUNDLE = '/work/lab/.pushbutton/bundles/live/pushbutton-core-lab-gateway.tar.gz';
const ROOT_NAME = 'pushbutton-core-lab-gateway';

function deliver(host?: string, run = jest.fn(async (_command: string, _args: string[]) => {})) {
  const printed: string[] = [];
  const delivery = deliverBundle({ bundleFile: BUNDLE, rootName: ROOT_NAME, host, sshPort: 2222, print: (line) => printed.push(line), run });
  return { delivery, printed, run };
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

  it('with a host, copies the bundle with scp and installs it with ssh, on the configured port', async () => {
    const { delivery, run } = deliver('pi@192.0.2.10');
    await delivery;
    expect(run.mock.calls).toEqual([
      ['scp', ['-P', '2222', '-o', 'BatchMode=yes', BUNDLE, 'pi@192.0.2.10:']],
      ['ssh', ['-p', '2222', '-o', 'BatchMode=yes', 'pi@192.0.2.10', 'tar -xzf pushbutton-core-lab-gateway.tar.gz && sudo ./pushbutton-core-lab-gateway/install.sh']],
    ]);
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
          "if [ -x ./pushbutton-core-lab-gateway/uninstall.sh ]; then sudo ./pushbutton-core-lab-gateway/uninstall.sh; else echo 'pushbutton-core-lab-gateway is not on this host: nothing to uninstall'; fi && rm -rf pushbutton-core-lab-gateway pushbutton-core-lab-gateway.tar.gz",
        ],
      ],
    ]);
  });

  it('the remote command is valid shell that shellcheck accepts', async () => {
    const { done, run } = uninstall('pi@192.0.2.10');
    await done;
    const remote = run.mock.calls[0][1].at(-1)!;
    const { spawnSync } = await import('node:child_process');
    expect(spawnSync('bash', ['-n', '-c', remote]).status).toBe(0);
    const checked = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: remote, encoding: 'utf8' });
    expect(checked.stdout).toBe('');
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

  it('rejects naming a command that does not exist', async () => {
    await expect(runCommand('pushbutton-no-such-command', ['x'])).rejects.toThrow('pushbutton-no-such-command x could not start: spawn pushbutton-no-such-command ENOENT');
  });
});
