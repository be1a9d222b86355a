import type { ExecutorContext } from '@nx/devkit';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { synthesize } from '@pushbutton/stacks';
import { loadConfig } from '../../config/load-config';
import { replaceDirectory } from '../../fs-atomic';
import { paths } from '../../paths';
import { unitCode } from '../../steps/kinds';
import { configDirOf, runExecutor } from '../run-executor';

export interface SynthExecutorOptions {
  stack: string;
}

export default async function synthExecutor(options: SynthExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const config = loadConfig(context.root, configDirOf(context));
    const outDir = join(context.root, paths.synthDir(options.stack));
    // The synthesized Terraform replaces the old only once all of it is written.
    const staging = `${outDir}.${process.pid}.staging`;
    try {
      synthesize(unitCode('stack', options.stack), options.stack, config, staging);
      replaceDirectory(staging, outDir);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    console.log(`Synthesized the ${options.stack} stack: ${relative(context.root, paths.synthesizedFile(options.stack))}`);
  });
}
