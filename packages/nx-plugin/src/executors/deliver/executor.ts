import type { ExecutorContext } from '@nx/devkit';
import { relative } from 'node:path';
import { Bundle, deliverBundle, runCommand } from '../../bundles/deliver-bundle';
import { packBundle } from '../../bundles/pack-bundle';
import { formatFacts } from '../../format';
import { unitCode } from '../../steps/kinds';
import { forgetUnit, recordUnit } from '../../unit-record';
import type { Mode } from '../../mode';
import { runUnitExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface DeliverExecutorOptions {
  unit: string;
  mode: Mode;
}

async function handOver(bundle: Bundle, mode: Mode, root: string): Promise<void> {
  const file = relative(root, bundle.bundleFile);
  if (bundle.kind === 'client') {
    console.log(
      `${bundle.device}: ${file} holds what the basic discovery sample needs; run ./${bundle.rootName}/run-discovery.sh where you unpack it ` +
        `(or ./${bundle.rootName}/run-broker-test.sh to test the core's broker without discovery: its README says how).`,
    );
  } else if (mode === 'rehearse') {
    const where = bundle.host ? `copy it to ${bundle.host} and install it` : 'print the commands to install it';
    console.log(`${bundle.device}: packed ${file}; delivery skipped (rehearsal): a live run would ${where}.`);
  } else {
    await deliverBundle({ ...bundle, print: (line) => console.log(line), run: runCommand });
  }
}

export default async function deliverExecutor(options: DeliverExecutorOptions, context: ExecutorContext) {
  return runUnitExecutor(context, options.mode, options.unit, async () => {
    const { settings, root } = unitContext(options.unit, options.mode, context, []);
    const plan = unitCode('deliver', options.unit);
    const bundles = plan(settings, root, options.mode);
    forgetUnit(root, options.mode, options.unit);
    for (const bundle of bundles) {
      await packBundle({ ...bundle, outFile: bundle.bundleFile });
      await handOver(bundle, options.mode, root);
    }
    const values = { bundles: Object.fromEntries(bundles.map((b) => [b.device, relative(root, b.bundleFile)])) };
    await recordUnit(root, options.mode, options.unit, values, { files: Object.values(values.bundles) });
    console.log(`\n${formatFacts(values.bundles)}`);
  });
}
