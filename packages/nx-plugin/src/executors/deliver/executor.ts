import type { ExecutorContext } from '@nx/devkit';
import { relative } from 'node:path';
import { Bundle, DELIVERY_PLANS } from '../../bundles/delivery-plans';
import { deliverBundle, runCommand } from '../../bundles/deliver-bundle';
import { packBundle } from '../../bundles/pack-bundle';
import { writeFacts } from '../../facts';
import { formatFacts } from '../../report';
import { forgetState, recordState } from '../../state-token';
import type { Mode } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface DeliverExecutorOptions {
  unit: string;
  mode: Mode;
}

async function handOver(bundle: Bundle, mode: Mode, root: string): Promise<void> {
  const file = relative(root, bundle.bundleFile);
  if (bundle.kind === 'client') {
    console.log(`${bundle.device}: ${file} holds what the basic discovery sample needs; run ./${bundle.rootName}/run-discovery.sh where you unpack it.`);
  } else if (mode === 'rehearse') {
    const where = bundle.host ? `copy it to ${bundle.host} and install it` : 'print the commands to install it';
    console.log(`${bundle.device}: packed ${file}; delivery skipped (rehearsal): a live run would ${where}.`);
  } else {
    await deliverBundle({ ...bundle, print: (line) => console.log(line), run: runCommand });
  }
}

export default async function deliverExecutor(options: DeliverExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { settings, root } = unitContext(options.unit, options.mode, context, []);
    const plan = DELIVERY_PLANS[options.unit];
    if (!plan) throw new Error(`No delivery plan is registered for unit ${options.unit}`);
    const bundles = plan(settings, root, options.mode);
    forgetState(root, options.mode, options.unit);
    for (const bundle of bundles) {
      await packBundle({ ...bundle, outFile: bundle.bundleFile });
      await handOver(bundle, options.mode, root);
    }
    const values = { bundles: Object.fromEntries(bundles.map((b) => [b.device, relative(root, b.bundleFile)])) };
    writeFacts(root, { unit: options.unit, mode: options.mode, rehearsal: options.mode === 'rehearse', values });
    await recordState(root, options.mode, options.unit, { files: Object.values(values.bundles) });
    console.log(`\n${formatFacts(values.bundles)}`);
  });
}
