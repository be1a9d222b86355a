import type { ExecutorContext } from '@nx/devkit';
import { readFacts } from '../../facts';
import { factsTable } from '../../report';
import type { Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';

export interface SummaryExecutorOptions {
  mode: Mode;
  units: string[];
}

export default async function summaryExecutor(options: SummaryExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const facts = options.units.map((unit) => readFacts(context.root, options.mode, unit)).filter((f) => !!f);
    const heading = options.mode === 'rehearse' ? 'Rehearsal complete (mock values; nothing exists in AWS)' : 'Provisioned';
    console.log(`${heading}. Facts by unit (full values in .pushbutton/facts/${options.mode}/):\n\n${factsTable(facts)}`);
  });
}
