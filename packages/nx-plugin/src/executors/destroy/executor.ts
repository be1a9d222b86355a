import type { ExecutorContext } from '@nx/devkit';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bundle, runCommand, uninstallBundle } from '../../bundles/deliver-bundle';
import { readFacts } from '../../facts';
import { paths } from '../../paths';
import { forgetUnit } from '../../unit-record';
import { unitCode } from '../../steps/kinds';
import { unitNamed } from '../../steps/registry';
import type { Mode } from '../../mode';
import { awsPreflight, preflight } from '../../terraform/preflight';
import { certifiedDevices, consoleStackRun, destroyStack } from '../../terraform/stack-run';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { resolveTerraformCli, TerraformCliOptions } from '../../terraform/terraform-cli';
import { runUnitExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface DestroyExecutorOptions extends TerraformCliOptions {
  unit: string;
  mode: Mode;
  /** Also delete the local private keys (and bundles) of the devices the stack certified. */
  removeKeys?: boolean;
  /** Deliveries: also uninstall Greengrass over ssh from the devices that have a host. */
  uninstall?: boolean;
}

async function destroyTerraformStack(options: DestroyExecutorOptions, root: string): Promise<string> {
  const stack = SynthesizedStack.read(root, options.unit);
  const cli = resolveTerraformCli(options);
  const { account } = options.mode === 'live' ? await preflight(`destroy the ${options.unit} stack`, 'live', cli, stack, stack.region()) : {};
  const outcome = await destroyStack(consoleStackRun(root, stack, options.mode, cli, account));
  const devices = Object.values(certifiedDevices(stack));
  if (options.removeKeys && devices.length) return `${outcome}\n${removeDeviceKeys(root, options.mode, devices)}`;
  if (devices.length) return `${outcome}\nLocal device keys kept in ${paths.keysDir(options.mode)}/ (pass --removeKeys to delete them).`;
  return outcome;
}

function removeDeviceKeys(root: string, mode: Mode, devices: string[]): string {
  for (const device of devices) rmSync(join(root, paths.keysDir(mode), device), { recursive: true, force: true });
  const bundles = join(root, paths.bundlesDir(mode));
  const ofDevice = (file: string) => devices.some((device) => file.endsWith(`-${device}.tar.gz`));
  for (const file of readdirSafe(bundles).filter(ofDevice)) rmSync(join(bundles, file), { force: true });
  return `Removed the local keys and bundles of ${devices.join(', ')}.`;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whatever an effect's rehearsal recorded (e.g. the cases it planned). */
function forgetRehearsal(root: string, unit: string): void {
  rmSync(join(root, paths.workDir('rehearse', unit)), { recursive: true, force: true });
}

async function undoEffect(options: DestroyExecutorOptions, context: ExecutorContext): Promise<string> {
  const effect = unitCode('effect', options.unit);
  if (!readFacts(context.root, options.mode, options.unit)) return 'Nothing to undo: it has not run.';
  const { effectContext } = unitContext(options.unit, options.mode, context);
  if (options.mode === 'rehearse') {
    forgetRehearsal(context.root, options.unit);
    return `Rehearsal: a live destroy would undo ${options.unit}.`;
  }
  await awsPreflight(`undo ${options.unit}`, effectContext.region);
  await effect.destroy(effectContext);
  return `Undone.`;
}

/** Core bundles installed over ssh: uninstalled with --uninstall, else the person is told what still runs where. */
async function undoDelivery(options: DestroyExecutorOptions, context: ExecutorContext): Promise<string> {
  const { settings, root } = unitContext(options.unit, options.mode, context, []);
  const cores = unitCode('deliver', options.unit)(settings, root, options.mode).filter((bundle) => bundle.kind === 'core');
  if (!cores.length) return 'Nothing to undo: no core devices.';
  if (options.mode === 'rehearse') return cores.map((bundle) => rehearseUninstall(bundle, options.uninstall)).join('\n');
  if (!options.uninstall) return cores.map(stillInstalled).join('\n');
  for (const bundle of cores) await uninstallBundle({ ...bundle, print: (line) => console.log(line), run: runCommand });
  return 'Uninstalled.';
}

function rehearseUninstall({ rootName, host }: Bundle, uninstall = false): string {
  if (!host) return `${rootName}: no host; a live destroy would print how to uninstall it by hand.`;
  return uninstall
    ? `${rootName}: a live destroy would run ./${rootName}/uninstall.sh on ${host} and remove the bundle there.`
    : `${rootName}: a live destroy would leave Greengrass installed on ${host} (pass --uninstall to remove it).`;
}

function stillInstalled({ rootName, host }: Bundle): string {
  const where = host ? `on ${host}` : 'on its device';
  return `${rootName}: Greengrass stays installed ${where}; pass --uninstall to remove it${host ? '' : ' (no host: run it there by hand)'}: sudo ./${rootName}/uninstall.sh`;
}

async function undoUnit(options: DestroyExecutorOptions, context: ExecutorContext): Promise<string> {
  const { unit } = unitNamed(options.unit);
  if (unit.kind === 'stack') return destroyTerraformStack(options, context.root);
  if (unit.kind === 'deliver') return undoDelivery(options, context);
  return undoEffect(options, context);
}

export default async function destroyExecutor(options: DestroyExecutorOptions, context: ExecutorContext) {
  return runUnitExecutor(context, options.mode, options.unit, async () => {
    const outcome = await undoUnit(options, context);
    // Whatever the unit left is gone: the next provision must run it again.
    forgetUnit(context.root, options.mode, options.unit, { undone: true });
    console.log(`\n${options.unit}: ${outcome}`);
  });
}
