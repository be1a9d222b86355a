import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { paths } from '../../paths';
import { RENDER_PLANS } from '../../templates';
import { renderStep } from '../../templates/render-templates';
import type { Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface RenderExecutorOptions {
  unit: string;
  mode: Mode;
}

export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { settings, effectContext, root } = unitContext(options.unit, options.mode, context);
    const plan = RENDER_PLANS[options.unit];
    if (!plan) throw new Error(`No render plan is registered for unit ${options.unit}`);
    const outDir = paths.renderDir(options.mode, plan.step);
    const items = plan.items(settings, effectContext.facts, options.mode === 'rehearse');
    const files = renderStep({ workspaceRoot: root, step: plan.step, outDir: join(root, outDir), items });
    const note = options.mode === 'rehearse' ? ' (with mock facts)' : '';
    console.log(`Rendered templates/${plan.step}${note} into ${outDir}:\n${files.map((f) => `  ${f}`).join('\n')}`);
  });
}
