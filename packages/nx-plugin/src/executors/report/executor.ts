import type { ExecutorContext } from '@nx/devkit';
import type { Mode } from '../../mode';
import { reportsCode } from '../../steps/kinds';
import { reportNamed } from '../../steps/registry';
import { awsPreflight } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { stepContext } from '../unit-context';

/** Every report's code, loaded with this executor. */
const REPORTS = reportsCode();

export interface ReportExecutorOptions {
  report: string;
  mode: Mode;
  /** JSON instead of a table, for scripts. */
  json?: boolean;
}

export default async function reportExecutor(options: ReportExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { step, report: definition } = reportNamed(options.report);
    const { effectContext } = stepContext(step, definition.readsFactsOf, options.mode, context);
    const report = REPORTS[options.report];
    if (options.mode === 'live') await awsPreflight(`report ${options.report}`, effectContext.region);
    const reportOptions = { json: options.json ?? false };
    const text = options.mode === 'live' ? await report.run(effectContext, reportOptions) : report.rehearse(effectContext, reportOptions);
    // JSON goes to stdout alone, so `nx run infra:status --json --quiet` pipes into a program.
    if (reportOptions.json) process.stdout.write(`${text}\n`);
    else console.log(text);
  });
}
