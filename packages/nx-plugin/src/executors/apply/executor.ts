import type { ExecutorContext } from '@nx/devkit';
import { applySummary } from '../../format';
import { unitNamed } from '../../steps/registry';
import type { Mode } from '../../mode';
import { preflight } from '../../terraform/preflight';
import { MOCK_ACCOUNT } from '../../terraform/rehearsal';
import { applyStack } from '../../terraform/stack-run';
import { SynthesizedStack } from '../../terraform/synthesized-stack';
import { resolveTerraformCli, TerraformCliOptions } from '../../terraform/terraform-cli';
import { withUnitLock } from '../../unit-lock';
import { runExecutor } from '../run-executor';

export interface ApplyExecutorOptions extends TerraformCliOptions {
  stack: string;
  mode: Mode;
}

export default async function applyExecutor(options: ApplyExecutorOptions, context: ExecutorContext) {
  // One run at a time per unit: a second provision refuses at once, naming the first.
  return runExecutor(() =>
    withUnitLock(context.root, options.mode, options.stack, async () => {
      const stack = SynthesizedStack.read(context.root, options.stack);
      const cli = resolveTerraformCli(options);
      const what = options.mode === 'live' ? `apply the ${options.stack} stack` : `rehearse the ${options.stack} stack`;
      const { account } = await preflight(what, options.mode, cli, stack, stack.region());
      const result = await applyStack({
        workspaceRoot: context.root,
        stack,
        mode: options.mode,
        account: account ?? MOCK_ACCOUNT,
        cli,
        readsFactsOf: unitNamed(options.stack).unit.readsFactsOf,
        print: (text) => console.log(text),
      });
      console.log(`\n${applySummary(options.stack, options.mode, result, account)}`);
    }),
  );
}
