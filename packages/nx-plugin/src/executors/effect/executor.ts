import type { ExecutorContext } from '@nx/devkit';
import { EFFECTS } from '../../effects';
import { writeFacts } from '../../facts';
import { formatFacts } from '../../report';
import { forgetState, recordState } from '../../state-token';
import { awsPreflight, Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface EffectExecutorOptions {
  unit: string;
  mode: Mode;
}

export default async function effectExecutor(options: EffectExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { effectContext, root } = unitContext(options.unit, options.mode, context);
    const effect = EFFECTS[options.unit];
    if (!effect) throw new Error(`No effect is registered for unit ${options.unit}`);
    const { account } = options.mode === 'live' ? await awsPreflight(`run ${options.unit}`, effectContext.region) : {};
    forgetState(root, options.mode, options.unit);
    const result = options.mode === 'live' ? await effect.apply(effectContext) : effect.rehearse(effectContext);
    const factsFile = writeFacts(root, { unit: options.unit, mode: options.mode, rehearsal: options.mode === 'rehearse', values: result.facts });
    if (result.pending.length) {
      console.log(`\nNot done yet; the next provision runs ${options.unit} again:\n${result.pending.map((p) => `  - ${p}`).join('\n')}`);
    } else {
      const inAccount = account ? { account: { id: account, region: effectContext.region } } : {};
      await recordState(root, options.mode, options.unit, { ...inAccount, ...effect.stateParts?.(effectContext) });
    }
    console.log(`\n${formatFacts(result.facts)}\n\nFacts${options.mode === 'rehearse' ? ' (mock values)' : ''}: ${factsFile}`);
  });
}
