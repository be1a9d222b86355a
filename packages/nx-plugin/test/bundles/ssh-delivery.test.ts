// Delivery against a real OpenSSH server: Debian's sshd on 127.0.0.1, with a host key, a user key
// and a known_hosts this test makes, reached through PUSHBUTTON_SSH_CONFIG. The bundle is a
// rehearsal's, delivered by the code a live delivery runs (deliverBundle with runCommand), so the
// "device" (this machine, in a temporary bundleDir) gets it over scp and runs its install.sh over
// ssh, which checks the prerequisites and stops before changing anything.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CommandFailed, deliverBundle, runCommand, uninstallBundle } from '../../src/bundles/deliver-bundle';
import { packBundle } from '../../src/bundles/pack-bundle';
import { renderStep } from '../../src/render/render-step';
import { SSHD } from '../../../../tools/ci/system-tools';

const WORKSPACE = join(__dirname, '../../../..');
const ROOT_NAME = 'pushbutton-core-lab-gateway';
const KEY = 'device-key-fixture MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n';
const HOST = `${userInfo().username}@127.0.0.1`;

let dir: string;
let port: number;
let sshd: ChildProcess | undefined;
let sshdLog = '';
let bundleFile: string;
/** Where the Greengrass nucleus would go: the rehearsal must never create it. */
let rootPath: string;

const path = (...parts: string[]) => join(dir, ...parts);
const hostKeyLine = (publicKeyFile: string) => `[127.0.0.1]:${port} ${readFileSync(publicKeyFile, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;

function keygen(file: string): void {
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pushbutton-test', '-f', file], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
}

/** An ssh config for the client side: one identity, and this test's known_hosts only. */
function sshConfig(name: string, identity: string): string {
  const file = path(name);
  const lines = ['Host *', `  IdentityFile ${identity}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${path('known_hosts')}`, '  GlobalKnownHostsFile /dev/null', '  ConnectTimeout 10'];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port: free } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return free;
}

/** Starts sshd and resolves once it listens; rejects with its log if it exits first. */
function startSshd(config: string): Promise<ChildProcess> {
  // sshd re-executes itself, so it takes an absolute path.
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`sshd did not start listening within 10 s:\n${sshdLog}`)), 10_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      sshdLog += chunk;
      if (sshdLog.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        ready(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`sshd exited with ${code}:\n${sshdLog}`));
    });
  });
}

/** A core device's bundle as a rehearsal packs it: the real templates, mock values, a key. */
async function packRehearsalBundle(): Promise<string> {
  const workspace = path('workspace');
  cpSync(join(WORKSPACE, 'templates', 'core', 'device'), join(workspace, 'templates', 'core', 'device'), { recursive: true });
  const sourceDir = path('render', 'devices', 'lab-gateway');
  const context = {
    project: { name: 'lab', region: 'eu-central-1' },
    rehearsal: true,
    greengrass: { nucleusVersion: '2.16.1', rootPath, componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    endpoints: { data: 'rehearsal-0000000000-ats.iot.eu-central-1.amazonaws.com', credentials: 'rehearsal-0000000000.credentials.iot.eu-central-1.amazonaws.com' },
    roleAlias: 'lab-core-token-exchange',
    config: {},
    facts: {},
    device: { name: 'lab-gateway', thingName: 'lab-lab-gateway', certificatePem: 'CERT\n', host: HOST, sshPort: port, bundleName: ROOT_NAME },
  };
  renderStep({ workspaceRoot: workspace, step: 'core', outDir: sourceDir, items: [{ templateDir: 'device', outDir: '', context }] });
  const keyFile = path('keys', 'lab-gateway', 'private.pem.key');
  mkdirSync(path('keys', 'lab-gateway'), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, KEY, { mode: 0o600 });
  const outFile = path('bundles', 'rehearse', `${ROOT_NAME}.tar.gz`);
  await packBundle({ sourceDir, keyFile, rootName: ROOT_NAME, outFile });
  return outFile;
}

/** Delivers as the deliver executor does, into a new bundleDir; what ssh, scp and install.sh wrote, and the outcome. */
async function deliver(name: string) {
  const bundleDir = path('device', name);
  mkdirSync(bundleDir, { recursive: true });
  let output = '';
  const capture = (chunk: unknown) => {
    output += String(chunk);
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  const printed: string[] = [];
  try {
    const error = await deliverBundle({ bundleFile, rootName: ROOT_NAME, host: HOST, sshPort: port, bundleDir, print: (line) => printed.push(line), run: runCommand }).then(
      () => undefined,
      (failure: unknown) => failure as Error,
    );
    return { bundleDir, output, printed, error };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushbutton-sshd-'));
  rootPath = path('greengrass', 'v2');
  keygen(path('host_key'));
  keygen(path('other_host_key'));
  keygen(path('user_key'));
  keygen(path('other_user_key'));
  writeFileSync(path('authorized_keys'), readFileSync(path('user_key.pub')));
  // sshd, run as root, checks its privilege separation folder; as another user it can log in only that user.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  port = await freePort();
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${path('host_key')}`,
    `AuthorizedKeysFile ${path('authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'Subsystem sftp internal-sftp',
    `PidFile ${path('sshd.pid')}`,
  ];
  writeFileSync(path('sshd_config'), `${config.join('\n')}\n`);
  sshd = await startSshd(path('sshd_config'));
  bundleFile = await packRehearsalBundle();
}, 30_000);

beforeEach(() => {
  writeFileSync(path('known_hosts'), hostKeyLine(path('host_key.pub')));
  process.env.PUSHBUTTON_SSH_CONFIG = sshConfig('ssh_config', path('user_key'));
});

afterAll(() => {
  delete process.env.PUSHBUTTON_SSH_CONFIG;
  sshd?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('delivery over ssh to a real sshd', () => {
  it('copies the bundle into bundleDir, unpacks it with the key at 0600, and the installer checks the prerequisites and stops before changing anything', async () => {
    const { bundleDir, output, printed, error } = await deliver('home');
    const context = `${output}\n${error?.message ?? ''}\nsshd: ${sshdLog}`;
    expect(readdirSync(bundleDir).sort(), context).toEqual([ROOT_NAME, `${ROOT_NAME}.tar.gz`]);
    expect(readFileSync(join(bundleDir, `${ROOT_NAME}.tar.gz`)).equals(readFileSync(bundleFile)), context).toBe(true);
    const key = join(bundleDir, ROOT_NAME, 'private.pem.key');
    expect(readFileSync(key, 'utf8')).toBe(KEY);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(output, context).toContain('==> Checking prerequisites for lab-lab-gateway');
    if (error) {
      // A machine without java or systemd: the installer names what is missing and exits 1.
      expect(error, context).toBeInstanceOf(CommandFailed);
      expect((error as CommandFailed).exitCode, context).toBe(1);
      expect(output, context).toContain('install.sh: missing prerequisites:');
    } else {
      // One with all of them: the rehearsal's bundle stops there.
      expect(output, context).toContain('This bundle comes from a rehearsal');
      expect(output, context).toContain('stopping before changing anything');
      expect(printed.at(-1)).toContain(`installed on ${HOST}`);
    }
    expect(existsSync(rootPath), context).toBe(false);
  }, 20_000);

  it('stops on a host key that does not match known_hosts, saying so, and copies nothing', async () => {
    writeFileSync(path('known_hosts'), hostKeyLine(path('other_host_key.pub')));
    const { bundleDir, error, output } = await deliver('changed-host-key');
    expect(error?.message, output).toMatch(
      `The host key of [127.0.0.1]:${port} does not match the one in ${path('known_hosts')}, so Pushbutton will not connect to it`,
    );
    expect(error?.message).toContain(`ssh-keygen -f ${path('known_hosts')} -R '[127.0.0.1]:${port}'`);
    expect(readdirSync(bundleDir)).toEqual([]);
  }, 20_000);

  it('stops on a host key that is not in known_hosts, saying so, and copies nothing', async () => {
    writeFileSync(path('known_hosts'), '');
    const { bundleDir, error, output } = await deliver('unknown-host-key');
    expect(error?.message, output).toMatch(`The host key of [127.0.0.1]:${port} is not in ${path('known_hosts')}, so Pushbutton will not connect to it`);
    expect(readdirSync(bundleDir)).toEqual([]);
  }, 20_000);

  it('says which key was tried when the login is refused', async () => {
    process.env.PUSHBUTTON_SSH_CONFIG = sshConfig('ssh_config_other_key', path('other_user_key'));
    const { bundleDir, error, output } = await deliver('refused');
    expect(error?.message, output).toBe(
      `${HOST} refused the login: ssh offered the key file ${path('other_user_key')}, and 127.0.0.1 accepted none. ` +
        `Add the public key to ~/.ssh/authorized_keys of ${userInfo().username} on the device, or name the right key with IdentityFile in ${path('ssh_config_other_key')}.`,
    );
    expect(readdirSync(bundleDir)).toEqual([]);
  }, 20_000);

  it('uninstalls from bundleDir, and leaves a host the bundle never reached as it is', async () => {
    const bundleDir = path('device', 'never-delivered');
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(join(bundleDir, 'unrelated.txt'), 'stays\n');
    const printed: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
    try {
      await uninstallBundle({ rootName: ROOT_NAME, host: HOST, sshPort: port, bundleDir, print: (line) => printed.push(line), run: runCommand });
    } finally {
      spy.mockRestore();
    }
    expect(printed.join('')).toContain(`${ROOT_NAME} is not on this host: nothing to uninstall`);
    expect(readdirSync(bundleDir)).toEqual(['unrelated.txt']);
  }, 20_000);
});
