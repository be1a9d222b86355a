import type { ExecutorContext } from '@nx/devkit';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFacts } from '../../facts';
import { paths } from '../../paths';
import { forgetUnit } from '../../unit-record';
import { codeOf } from '../../steps/kinds';
import { unitNamed } from '../../steps/registry';
import type { Mode } from '../../mode';
import { awsPreflight, preflight } from '../../terraform/preflight';
import { MOCK_ACCOUNT } from '../../terraform/rehearsal';
import { certifiedDevices, destroyStack } from '../../terraform/stack-run';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { resolveTerraformCli, TerraformCliOptions } from '../../terraform/terraform-cli';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

/** Every effect unit's code, loaded with this executor. */
const EFFECTS = codeOf('effect');

export interface DestroyExecutorOptions extends TerraformCliOptions {
  unit: string;
  mode: Mode;
  /** Also delete the local private keys (and bundles) of the devices the stack certified. */
  removeKeys?: boolean;
}

async function destroyTerraformStack(options: DestroyExecutorOptions, root: string): Promise<string> {
  const stack = SynthesizedStack.read(root, options.unit);
  const cli = resolveTerraformCli(options);
  const { account } = options.mode === 'live' ? await preflight(`destroy the ${options.unit} stack`, 'live', cli, stack, stack.region()) : {};
  const outcome = await destroyStack({
    workspaceRoot: root,
    stack,
    mode: options.mode,
    account: account ?? MOCK_ACCOUNT,
    cli,
    readsFactsOf: unitNamed(options.unit).unit.readsFactsOf,
    print: (text) => console.log(text),
  });
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
  const effect = EFFECTS[options.unit];
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

export default async function destroyExecutor(options: DestroyExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { unit } = unitNamed(options.unit);
    const outcome = unit.kind === 'stack' ? await destroyTerraformStack(options, context.root) : await undoEffect(options, context);
    // Whatever the unit left is gone: the next provision must run it again.
    forgetUnit(context.root, options.mode, options.unit, { undone: true });
    console.log(`\n${options.unit}: ${outcome}`);
  });
}
