import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { readFacts } from '../../facts';
import { factsTable } from '../../format';
import type { Mode } from '../../mode';
import { paths } from '../../paths';
import { stepNamed, stepsConfiguredIn } from '../../steps/registry';
import { configDirOf, runExecutor } from '../run-executor';

export interface SummaryExecutorOptions {
  mode: Mode;
  /** The step whose facts to print; every step whose config file exists when absent. */
  step?: string;
}

/** The units to summarize, in provisioning order, and what was provisioned, for the heading. */
function unitsOf(options: SummaryExecutorOptions, configDir: string) {
  if (options.step === undefined) return { units: stepsConfiguredIn(configDir).flatMap((step) => step.units), what: 'every step' };
  return { units: stepNamed(options.step).units, what: `the ${options.step} step` };
}

export default async function summaryExecutor(options: SummaryExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { units, what } = unitsOf(options, join(context.root, configDirOf(context)));
    const facts = units.map((unit) => readFacts(context.root, options.mode, unit.name)).filter((f) => !!f);
    const heading = options.mode === 'rehearse' ? `Rehearsed ${what} (mock values; nothing exists in AWS)` : `Provisioned ${what}`;
    const where = `${paths.runDir}/facts/${options.mode}/`;
    // Links a person opens (the dashboard), whole, where the table cuts long values short.
    const links = facts.flatMap((f) => Object.entries(f.values).filter(([name, value]) => name.endsWith('_url') && typeof value === 'string').map(([name, value]) => `${f.unit} ${name}: ${value}`));
    console.log(`${heading}. Facts by unit (full values in ${where}):\n\n${factsTable(facts)}${links.length ? `\n\n${links.join('\n')}` : ''}`);
  });
}
