import type { ExecutorContext } from '@nx/devkit';
import { applySummary } from '../../format';
import type { Mode } from '../../mode';
import { preflight } from '../../terraform/preflight';
import { applyStack, consoleStackRun } from '../../terraform/stack-run';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { resolveTerraformCli, TerraformCliOptions } from '../../terraform/terraform-cli';
import { runUnitExecutor } from '../run-executor';

export interface ApplyExecutorOptions extends TerraformCliOptions {
  stack: string;
  mode: Mode;
}

export default async function applyExecutor(options: ApplyExecutorOptions, context: ExecutorContext) {
  return runUnitExecutor(context, options.mode, options.stack, async () => {
    const stack = SynthesizedStack.read(context.root, options.stack);
    const cli = resolveTerraformCli(options);
    const what = options.mode === 'live' ? `apply the ${options.stack} stack` : `rehearse the ${options.stack} stack`;
    const checked = preflight(what, options.mode, cli, stack, stack.region());
    const result = await applyStack(consoleStackRun(context.root, stack, options.mode, cli), checked);
    console.log(`\n${applySummary(options.stack, options.mode, result)}`);
  });
}
