import type { ExecutorContext } from '@nx/devkit';
import { join, relative } from 'node:path';
import { synthesize } from '@pushbutton/stacks';
import { loadConfig } from '../../config/load-config';
import { paths } from '../../paths';
import { configDirOf, runExecutor } from '../run-executor';

export interface SynthExecutorOptions {
  stack: string;
}

export default async function synthExecutor(options: SynthExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const config = loadConfig(context.root, configDirOf(context));
    const file = synthesize(options.stack, config, join(context.root, paths.synthDir(options.stack)));
    console.log(`Synthesized the ${options.stack} stack: ${relative(context.root, file)}`);
  });
}
