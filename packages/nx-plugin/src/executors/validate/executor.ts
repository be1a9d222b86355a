import type { ExecutorContext } from '@nx/devkit';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { configDirOf, runExecutor } from '../run-executor';

export default async function validateExecutor(_options: object, context: ExecutorContext) {
  return runExecutor(async () => {
    const configDir = configDirOf(context);
    loadConfig(context.root, configDir);
    const files = readdirSync(join(context.root, configDir)).filter((f) => f.endsWith('.yaml'));
    console.log(`Config is valid: ${files.map((f) => join(configDir, f)).join(', ')}`);
  });
}
