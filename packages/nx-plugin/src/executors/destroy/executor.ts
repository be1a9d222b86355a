import type { ExecutorContext } from '@nx/devkit';
import { removeFacts } from '../../facts';
import { Mode, preflight } from '../../terraform/preflight';
import { destroyStack } from '../../terraform/stack-run';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { resolveTerraformCli, TerraformCliOptions } from '../../terraform/terraform-cli';
import { runExecutor, stackDefinition } from '../run-executor';

export interface DestroyExecutorOptions extends TerraformCliOptions {
  stack: string;
  mode: Mode;
}

export default async function destroyExecutor(options: DestroyExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const stack = SynthesizedStack.read(context.root, options.stack);
    const cli = resolveTerraformCli(options);
    if (options.mode === 'live') await preflight(`destroy the ${options.stack} stack`, 'live', cli, stack, stack.region());
    const outcome = await destroyStack({
      workspaceRoot: context.root,
      stack,
      mode: options.mode,
      cli,
      readsFactsOf: stackDefinition(options.stack).readsFactsOf,
      print: (text) => console.log(text),
    });
    removeFacts(context.root, options.mode, options.stack);
    console.log(`\n${options.stack}: ${outcome}`);
  });
}
