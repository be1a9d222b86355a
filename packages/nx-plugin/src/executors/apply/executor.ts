import type { ExecutorContext } from '@nx/devkit';
import { applySummary } from '../../format';
import type { Mode } from '../../mode';
import { preflight } from '../../terraform/preflight';
import { applyStack, consoleStackRun, prepareStack } from '../../terraform/stack-run';
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
    const run = consoleStackRun(context.root, stack, options.mode, cli);
    const checked = preflight(what, options.mode, cli, stack, stack.region());
    // A rehearsal changes nothing before `terraform test`, so it initializes while the preflight runs;
    // a live init reaches the state backend, so it waits for the preflight's all-clear.
    const prepared = options.mode === 'rehearse' ? prepareStack(run) : checked.then(() => prepareStack(run));
    const [preflightResult, preparedResult] = await Promise.allSettled([checked, prepared]);
    if (preflightResult.status === 'rejected') throw preflightResult.reason;
    if (preparedResult.status === 'rejected') throw preparedResult.reason;
    const { account } = preflightResult.value;
    const result = await applyStack({ ...run, account: account ?? run.account }, preparedResult.value);
    console.log(`\n${applySummary(options.stack, options.mode, result, account)}`);
  });
}
