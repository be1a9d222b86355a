import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { CoreAccountStack } from './core-account-stack';
import { CoreDevicesStack } from './core-devices-stack';
import { NetworkStack } from './network-stack';
import type { Settings } from './settings';
import { WorkflowStack } from './workflow-stack';

const builders: Record<string, (scope: Construct, name: string, settings: Settings) => TerraformStack> = {
  network: (scope, name, settings) => new NetworkStack(scope, name, settings),
  'core-account': (scope, name, settings) => new CoreAccountStack(scope, name, settings),
  'core-devices': (scope, name, settings) => new CoreDevicesStack(scope, name, settings),
  workflow: (scope, name, settings) => new WorkflowStack(scope, name, settings),
};

export const STACK_NAMES = Object.keys(builders);

/** Builds a stack in a fresh app, as the Terraform JSON cdktf would synthesize for it. */
export function buildStack(stackName: string, settings: Settings, outdir?: string): { app: App; stack: TerraformStack } {
  const build = builders[stackName];
  if (!build) throw new Error(`Unknown stack "${stackName}"; known stacks: ${STACK_NAMES.join(', ')}`);
  const app = new App({ outdir, stackTraces: false });
  return { app, stack: build(app, stackName, settings) };
}

/**
 * Synthesizes one stack into `outdir`, replacing what was there only once the
 * whole synthesis has succeeded. Returns the path of the Terraform JSON
 * (cdktf's layout: `<outdir>/stacks/<stack>/cdk.tf.json`).
 */
export function synthesize(stackName: string, settings: Settings, outdir: string): string {
  const staging = `${outdir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(staging), { recursive: true });
  try {
    buildStack(stackName, settings, staging).app.synth();
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return join(outdir, 'stacks', stackName, 'cdk.tf.json');
}
