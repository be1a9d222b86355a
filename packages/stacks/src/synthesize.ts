import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { Settings } from './settings';

/** Builds a stack unit: each stack module of a step folder (`<step>/<unit>.ts`) exports one as its default. */
export type StackBuilder = (scope: Construct, name: string, settings: Settings) => TerraformStack;

/** Builds a stack in a fresh app, as the Terraform JSON cdktf would synthesize for it. */
export function buildStack(build: StackBuilder, stackName: string, settings: Settings, outdir?: string): { app: App; stack: TerraformStack } {
  const app = new App({ outdir, stackTraces: false });
  return { app, stack: build(app, stackName, settings) };
}

/** Synthesizes one stack into `outdir`; returns the path of its Terraform JSON (cdktf's layout: `stacks/<stack>/cdk.tf.json`). */
export function synthesize(build: StackBuilder, stackName: string, settings: Settings, outdir: string): string {
  mkdirSync(dirname(outdir), { recursive: true });
  buildStack(build, stackName, settings, outdir).app.synth();
  return join(outdir, 'stacks', stackName, 'cdk.tf.json');
}
