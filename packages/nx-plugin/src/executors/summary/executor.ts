import type { ExecutorContext } from '@nx/devkit';
import { readFacts } from '../../facts';
import { factsTable } from '../../format';
import type { Mode } from '../../mode';
import { paths } from '../../paths';
import { runExecutor } from '../run-executor';

export interface SummaryExecutorOptions {
  mode: Mode;
  units: string[];
  /** What was provisioned, for the heading: `every step`, `the core step`. */
  title?: string;
}

export default async function summaryExecutor(options: SummaryExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const facts = options.units.map((unit) => readFacts(context.root, options.mode, unit)).filter((f) => !!f);
    const what = options.title ?? 'every step';
    const heading = options.mode === 'rehearse' ? `Rehearsed ${what} (mock values; nothing exists in AWS)` : `Provisioned ${what}`;
    const where = `${paths.runDir}/facts/${options.mode}/`;
    // Links a person opens (the dashboard), whole, where the table cuts long values short.
    const links = facts.flatMap((f) => Object.entries(f.values).filter(([name, value]) => name.endsWith('_url') && typeof value === 'string').map(([name, value]) => `${f.unit} ${name}: ${value}`));
    console.log(`${heading}. Facts by unit (full values in ${where}):\n\n${factsTable(facts)}${links.length ? `\n\n${links.join('\n')}` : ''}`);
  });
}
