// Delivery of a core device bundle: over ssh to the configured host, or, without one, the
// commands for a person to run. ssh and scp run in BatchMode (never a prompt) with the person's
// ssh config, or PUSHBUTTON_SSH_CONFIG's; a host key that is unknown or changed stops them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { quote } from 'shell-quote';

/** A device's bundle: what a deliver unit packs, from what, and where it goes. */
export interface Bundle {
  /** Device name in config. */
  device: string;
  /** The folder the bundle unpacks to on the device, and the archive's name. */
  rootName: string;
  /** Absolute: the rendered files the bundle holds. */
  sourceDir: string;
  /** Absolute: the device's private key, packed at 0600. */
  keyFile: string;
  /** Absolute: the archive. */
  bundleFile: string;
  /** Core devices only: where to install it over ssh, when configured. */
  host?: string;
  sshPort: number;
  /** Core devices only: the absolute folder on the host the bundle goes to; by default the login's home. */
  bundleDir?: string;
  /** Install on a core device, or hand to whoever runs the client test. */
  kind: 'core' | 'client';
}

/** Runs a system command; resolves when it exits 0. */
export type RunCommand = (command: string, args: string[]) => Promise<void>;

export interface DeliverBundleOptions {
  /** Absolute: the packed bundle. */
  bundleFile: string;
  /** The folder the bundle unpacks to. */
  rootName: string;
  /** `user@host`; without it the commands are printed instead. */
  host?: string;
  sshPort: number;
  /** Absolute, on the host: where the bundle goes and is unpacked; by default the login's home. */
  bundleDir?: string;
  print: (line: string) => void;
  run: RunCommand;
}

export async function deliverBundle({ bundleFile, rootName, host, sshPort, bundleDir, print, run }: DeliverBundleOptions): Promise<void> {
  if (!host) {
    printManualDelivery(bundleFile, rootName, print);
    return;
  }
  const file = basename(bundleFile);
  const port = String(sshPort);
  const options = sshOptions();
  print(`${rootName}: copying ${file} to ${host}:${bundleDir ?? '~'} (ssh port ${port})`);
  await overSsh(run, 'scp', ['-P', port, ...options, bundleFile, `${host}:${bundleDir ? `${bundleDir}/` : ''}`], host, sshPort);
  print(`${rootName}: unpacking and installing on ${host}`);
  const install = `${inFolder(bundleDir)}tar -xzf ${quote([file])} && ${asRoot(quote([`./${rootName}/install.sh`]))}`;
  await overSsh(run, 'ssh', ['-p', port, ...options, host, install], host, sshPort);
  print(`${rootName}: installed on ${host}. Check it there with: sudo systemctl status greengrass`);
}

/** `-F` with PUSHBUTTON_SSH_CONFIG's file when it is set (ssh reads ~/.ssh/config otherwise), and never a prompt. */
function sshOptions(): string[] {
  const config = process.env.PUSHBUTTON_SSH_CONFIG;
  if (!config) return ['-o', 'BatchMode=yes'];
  const file = resolve(config);
  if (!existsSync(file)) throw new Error(`PUSHBUTTON_SSH_CONFIG names the ssh config ${file}, which does not exist.`);
  return ['-F', file, '-o', 'BatchMode=yes'];
}

/** The remote command's start: into the bundle's folder, when it is not the login's home. */
const inFolder = (bundleDir?: string) => (bundleDir ? `cd ${quote([bundleDir])} && ` : '');

/** Runs a quoted command as root: as it is for a root login (a device may have no sudo), else with sudo. */
const asRoot = (command: string) => `if [ "$(id -u)" -eq 0 ]; then ${command}; else sudo ${command}; fi`;

function printManualDelivery(bundleFile: string, rootName: string, print: (line: string) => void): void {
  const file = basename(bundleFile);
  print(`${rootName}: no host is configured, so Pushbutton does not deliver it (set host in config/core.yaml to install over ssh).`);
  print('To install it by hand:');
  print(`  1. Copy the bundle to the device, e.g.: scp ${quote([bundleFile])} <user>@<device>:`);
  print('  2. On the device, in the folder you copied it to, run:');
  print(`       tar -xzf ${quote([file])}`);
  print(`       sudo ${quote([`./${rootName}/install.sh`])}`);
}

export type UninstallBundleOptions = Omit<DeliverBundleOptions, 'bundleFile'>;

/**
 * Runs the bundle's rendered uninstall.sh on its host, then removes the unpacked bundle and the
 * archive, which hold the device's private key. A host the bundle never reached is left as it is.
 */
export async function uninstallBundle({ rootName, host, sshPort, bundleDir, print, run }: UninstallBundleOptions): Promise<void> {
  const script = `./${rootName}/uninstall.sh`;
  if (!host) {
    print(`${rootName}: no host is configured; on the device, in the folder it was installed from, run: sudo ${quote([script])}`);
    return;
  }
  const [folder, archive] = [quote([rootName]), quote([`${rootName}.tar.gz`])];
  const remote =
    inFolder(bundleDir) +
    `if [ -x ${quote([script])} ]; then ${asRoot(quote([script]))}; else echo ${quote([`${rootName} is not on this host: nothing to uninstall`])}; fi` +
    ` && rm -rf ${folder} ${archive}`;
  print(`${rootName}: uninstalling Greengrass from ${host}`);
  await overSsh(run, 'ssh', ['-p', String(sshPort), ...sshOptions(), host, remote], host, sshPort);
  print(`${rootName}: uninstalled from ${host}, and its bundle and key removed there.`);
}

/** A command that ran and failed: its exit code, and the end of what it wrote on stderr. */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** How much of a command's stderr a failure keeps: enough for ssh's longest warning. */
const STDERR_TAIL = 8192;

/**
 * Runs a command without input; what it writes is shown live on this process's stdout and stderr.
 * Rejects naming the command when it fails, with a CommandFailed holding its stderr's tail.
 */
export const runCommand: RunCommand = (command, args) =>
  new Promise((done, reject) => {
    const shown = quote([command, ...args]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('error', (error) => reject(new Error(`${shown} could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else reject(new CommandFailed(`${shown} failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`, code, stderr));
    });
  });

/** ssh's own failures (exit code 255), not the remote command's. */
const SSH_FAILED = 255;

/** Runs ssh or scp; when ssh itself fails on the host key or the login, says so and what to do. */
async function overSsh(run: RunCommand, command: 'ssh' | 'scp', args: string[], host: string, sshPort: number): Promise<void> {
  try {
    await run(command, args);
  } catch (error) {
    if (!(error instanceof CommandFailed) || error.exitCode !== SSH_FAILED) throw error;
    throw sshFailure(error.stderr, host, sshPort) ?? error;
  }
}

function sshFailure(stderr: string, host: string, sshPort: number): Error | undefined {
  const at = host.lastIndexOf('@');
  const [user, hostname] = [host.slice(0, Math.max(at, 0)), host.slice(at + 1)];
  // How known_hosts names a host on another port than 22.
  const entry = sshPort === 22 ? hostname : `[${hostname}]:${sshPort}`;
  const connect = `ssh -p ${sshPort} ${host}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
    const knownHosts = /Offending \S+ key in (.+):\d+/.exec(stderr)?.[1] ?? sshSettings(host, sshPort).get('userknownhostsfile')?.[0];
    const file = knownHosts ? ` in ${knownHosts}` : ' in known_hosts';
    const remove = `ssh-keygen ${knownHosts ? `-f ${shellWord(knownHosts)} ` : ''}-R ${shellWord(entry)}`;
    return new Error(
      `The host key of ${entry} does not match the one${file}, so Pushbutton will not connect to it: the device was reinstalled or replaced, ` +
        `its address now belongs to another machine, or someone is in between. Check the device first. If the change is expected, ` +
        `remove the old key with \`${remove}\`, connect once with \`${connect}\` and compare the fingerprint it shows with the device's ` +
        `(\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` there), then deliver again.`,
    );
  }
  if (/Host key verification failed/.test(stderr)) {
    const knownHosts = sshSettings(host, sshPort).get('userknownhostsfile')?.[0];
    return new Error(
      `The host key of ${entry} is not in ${knownHosts ?? 'known_hosts'}, so Pushbutton will not connect to it (ssh runs in BatchMode and ` +
        `never accepts an unknown key). Connect once with \`${connect}\`, compare the fingerprint it shows with the device's ` +
        `(\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` there) and accept it; then deliver again.`,
    );
  }
  if (/Permission denied \(publickey/.test(stderr)) {
    const settings = sshSettings(host, sshPort);
    // The key files ssh offers are those of its IdentityFile settings that exist, and an agent's keys unless IdentitiesOnly.
    const files = (settings.get('identityfile') ?? []).filter((file) => existsSync(file));
    const tried = [files.length ? `the key file${files.length > 1 ? 's' : ''} ${files.join(', ')}` : 'no key file (none of its IdentityFile settings exists)'];
    if (process.env.SSH_AUTH_SOCK && settings.get('identitiesonly')?.[0] !== 'yes') tried.push('the keys of your ssh-agent');
    const config = process.env.PUSHBUTTON_SSH_CONFIG ? resolve(process.env.PUSHBUTTON_SSH_CONFIG) : '~/.ssh/config';
    return new Error(
      `${host} refused the login: ssh offered ${tried.join(' and ')}, and ${hostname} accepted none. Add the public key to ` +
        `~/.ssh/authorized_keys of ${user || 'the login'} on the device, or name the right key with IdentityFile in ${config}.`,
    );
  }
  return undefined;
}

/** The options ssh resolves for this host (`ssh -G`), each lowercase name with its values. */
function sshSettings(host: string, sshPort: number): Map<string, string[]> {
  const config = process.env.PUSHBUTTON_SSH_CONFIG;
  const args = [...(config ? ['-F', resolve(config)] : []), '-G', '-p', String(sshPort), host];
  const result = spawnSync('ssh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const settings = new Map<string, string[]>();
  for (const line of result.status === 0 ? result.stdout.split('\n') : []) {
    const [name, ...value] = line.trim().split(' ');
    if (!name || !value.length) continue;
    // userknownhostsfile lists its files on one line; identityfile comes once per file.
    settings.set(name, [...(settings.get(name) ?? []), ...(name === 'userknownhostsfile' ? value : [value.join(' ')]).map(expandHome)]);
  }
  return settings;
}

/** A word of a command for a person to copy: single-quoted when the shell would change it. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** ssh's `~` is the home in the passwd entry, not $HOME. */
function expandHome(path: string): string {
  return path.startsWith('~/') ? `${userInfo().homedir}${path.slice(1)}` : path;
}
