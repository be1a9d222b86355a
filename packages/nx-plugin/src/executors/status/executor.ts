import type { ExecutorContext } from '@nx/devkit';
import { REPORTS } from '../../effects';
import { awsPreflight, Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';
import { STEPS } from '../../steps';

export interface StatusExecutorOptions {
  report: string;
  mode: Mode;
}

function reportDefinition(name: string) {
  const report = STEPS.flatMap((step) => step.reports ?? []).find((r) => r.name === name);
  if (!report || !REPORTS[name]) throw new Error(`Unknown report "${name}"`);
  return report;
}

export default async function statusExecutor(options: StatusExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const definition = reportDefinition(options.report);
    const { effectContext } = unitContext(definition.readsFactsOf[0], options.mode, context, definition.readsFactsOf);
    const report = REPORTS[options.report];
    if (options.mode === 'live') await awsPreflight(`report ${options.report}`, effectContext.region);
    console.log(options.mode === 'live' ? await report.run(effectContext) : report.rehearse(effectContext));
  });
}
