import type { ExecutorContext } from '@nx/devkit';
import { readFacts } from '../../facts';
import type { Mode } from '../../terraform/preflight';
import { factsTable } from '../../report';
import { runExecutor } from '../run-executor';

export interface SummaryExecutorOptions {
  mode: Mode;
  stacks: string[];
}

export default async function summaryExecutor(options: SummaryExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const facts = options.stacks.map((stack) => readFacts(context.root, options.mode, stack)).filter((f) => !!f);
    const heading = options.mode === 'rehearse' ? 'Rehearsal complete (mock values; nothing exists in AWS)' : 'Provisioned';
    console.log(`${heading}. Facts by stack:\n\n${factsTable(facts)}`);
  });
}
