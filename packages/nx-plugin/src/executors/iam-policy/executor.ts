import type { ExecutorContext } from '@nx/devkit';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { writeFileAtomic } from '../../fs-atomic';
import { derivationSummary, derivePolicy, PolicyInputs, sdkCalls, sharedCodeFiles, stackUnitsOf, stepCodeFiles, stepsPresent } from '../../iam-policy';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { configDirOf, runExecutor } from '../run-executor';

export interface IamPolicyExecutorOptions {
  /** Also write the document here, relative to where nx runs. */
  out?: string;
}

export default async function iamPolicyExecutor(options: IamPolicyExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const settings = loadConfig(context.root, configDirOf(context));
    const steps = stepsPresent(settings);
    const inputs: PolicyInputs = {
      project: settings.project.name,
      // The target depends on every stack's synth, so each stack's Terraform is the current config's.
      stacks: stackUnitsOf(steps).map((name) => SynthesizedStack.read(context.root, name)),
      calls: sdkCalls([...stepCodeFiles(steps), ...sharedCodeFiles()]),
    };
    const derived = derivePolicy(inputs);
    const document = `${JSON.stringify(derived.policy, null, 2)}\n`;
    process.stdout.write(document);
    const notes = [derivationSummary(inputs, derived), ...derived.warnings];
    if (options.out) {
      const file = resolve(context.cwd ?? context.root, options.out);
      writeFileAtomic(file, document);
      notes.push(`Wrote ${file}. To make it a managed policy: aws iam create-policy --policy-name <name> --policy-document file://${options.out}`);
    }
    for (const line of notes) process.stderr.write(`${line}\n`);
  });
}
