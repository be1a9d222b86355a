import type { ExecutorContext } from '@nx/devkit';
import { REPORTS } from '../../effects';
import { awsPreflight, Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { STEPS } from '../../steps';
import { unitContext } from '../unit-context';

export interface StatusExecutorOptions {
  report: string;
  mode: Mode;
  /** JSON instead of a table, for scripts. */
  json?: boolean;
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
    const reportOptions = { json: options.json ?? false };
    const text = options.mode === 'live' ? await report.run(effectContext, reportOptions) : report.rehearse(effectContext, reportOptions);
    // JSON goes to stdout alone, so `nx run infra:status --json --quiet` pipes into a program.
    if (reportOptions.json) process.stdout.write(`${text}\n`);
    else console.log(text);
  });
}
