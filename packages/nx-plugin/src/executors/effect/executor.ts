import type { ExecutorContext } from '@nx/devkit';
import { formatFacts } from '../../format';
import { unitCode } from '../../steps/kinds';
import { forgetUnit, recordUnit } from '../../unit-record';
import type { Mode } from '../../mode';
import { awsPreflight } from '../../terraform/preflight';
import { runUnitExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface EffectExecutorOptions {
  unit: string;
  mode: Mode;
}

export default async function effectExecutor(options: EffectExecutorOptions, context: ExecutorContext) {
  return runUnitExecutor(context, options.mode, options.unit, async () => {
    const { effectContext, root } = unitContext(options.unit, options.mode, context);
    const effect = unitCode('effect', options.unit);
    const { account } = options.mode === 'live' ? await awsPreflight(`run ${options.unit}`, effectContext.region) : {};
    forgetUnit(root, options.mode, options.unit);
    const result = options.mode === 'live' ? await effect.apply(effectContext) : effect.rehearse(effectContext);
    const inAccount = account ? { account: { id: account, region: effectContext.region } } : {};
    const done = result.pending.length ? undefined : { ...inAccount, ...effect.stateParts?.(effectContext) };
    const factsFile = await recordUnit(root, options.mode, options.unit, result.facts, done);
    if (!done) console.log(`\nNot done yet; the next provision runs ${options.unit} again:\n${result.pending.map((p) => `  - ${p}`).join('\n')}`);
    console.log(`\n${formatFacts(result.facts)}\n\nFacts${options.mode === 'rehearse' ? ' (mock values)' : ''}: ${factsFile}`);
  });
}
