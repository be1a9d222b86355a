import type { ExecutorContext } from '@nx/devkit';
import type { Settings } from '@pushbutton/stacks';
import { loadConfig } from '../config/load-config';
import type { EffectContext } from '../effects/effect';
import { readFactsOf } from '../facts';
import type { Mode } from '../terraform/preflight';
import { configDirOf, unitDefinition } from './run-executor';

/** What an executor of a non-Terraform unit works from: config, the facts it reads, where to print. */
export function unitContext(name: string, mode: Mode, context: ExecutorContext, readsFactsOf?: string[]) {
  const { step, unit } = unitDefinition(name);
  const settings: Settings = loadConfig(context.root, configDirOf(context));
  const effectContext: EffectContext = {
    settings,
    facts: readFactsOf(context.root, mode, readsFactsOf ?? unit.readsFactsOf),
    region: settings.project.region,
    mode,
    workspaceRoot: context.root,
    print: (line) => console.log(line),
  };
  return { step, unit, settings, effectContext, root: context.root };
}
