// Delivery of a core device bundle: over ssh to the configured host, or, without one, the
// commands for a person to run.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
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
  print: (line: string) => void;
  run: RunCommand;
}

export async function deliverBundle({ bundleFile, rootName, host, sshPort, print, run }: DeliverBundleOptions): Promise<void> {
  if (!host) {
    printManualDelivery(bundleFile, rootName, print);
    return;
  }
  const file = basename(bundleFile);
  const port = String(sshPort);
  print(`${rootName}: copying ${file} to ${host} (ssh port ${port})`);
  await run('scp', ['-P', port, '-o', 'BatchMode=yes', bundleFile, `${host}:`]);
  print(`${rootName}: unpacking and installing on ${host}`);
  await run('ssh', ['-p', port, '-o', 'BatchMode=yes', host, `tar -xzf ${quote([file])} && sudo ${quote([`./${rootName}/install.sh`])}`]);
  print(`${rootName}: installed on ${host}. Check it there with: sudo systemctl status greengrass`);
}

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
export async function uninstallBundle({ rootName, host, sshPort, print, run }: UninstallBundleOptions): Promise<void> {
  const script = `./${rootName}/uninstall.sh`;
  if (!host) {
    print(`${rootName}: no host is configured; on the device, in the folder it was installed from, run: sudo ${quote([script])}`);
    return;
  }
  const [folder, archive] = [quote([rootName]), quote([`${rootName}.tar.gz`])];
  const remote =
    `if [ -x ${quote([script])} ]; then sudo ${quote([script])}; else echo ${quote([`${rootName} is not on this host: nothing to uninstall`])}; fi` +
    ` && rm -rf ${folder} ${archive}`;
  print(`${rootName}: uninstalling Greengrass from ${host}`);
  await run('ssh', ['-p', String(sshPort), '-o', 'BatchMode=yes', host, remote]);
  print(`${rootName}: uninstalled from ${host}, and its bundle and key removed there.`);
}

/** Runs a command with this process's terminal; rejects naming the command when it fails. */
export const runCommand: RunCommand = (command, args) =>
  new Promise((done, reject) => {
    const shown = quote([command, ...args]);
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', (error) => reject(new Error(`${shown} could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else reject(new Error(`${shown} failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`));
    });
  });
