import type { ExecutorContext } from '@nx/devkit';
import type { Settings } from '@pushbutton/stacks';
import { loadConfig } from '../config/load-config';
import { readFactsOf } from '../facts';
import type { Mode } from '../mode';
import type { StepDefinition } from '../steps/definition';
import type { EffectContext } from '../steps/kinds';
import { unitNamed } from '../steps/registry';
import { configDirOf } from './run-executor';

/** What code of a step works from: config, the facts it reads, where to print. */
export function stepContext(step: StepDefinition, readsFactsOf: string[], mode: Mode, context: ExecutorContext) {
  const settings: Settings = loadConfig(context.root, configDirOf(context));
  const effectContext: EffectContext = {
    settings,
    facts: readFactsOf(context.root, mode, readsFactsOf),
    region: settings.project.region,
    mode,
    workspaceRoot: context.root,
    print: (line) => console.log(line),
  };
  return { step, settings, effectContext, root: context.root };
}

/** What an executor of a unit that is not a stack works from. */
export function unitContext(name: string, mode: Mode, context: ExecutorContext, readsFactsOf?: string[]) {
  const { step, unit } = unitNamed(name);
  return { unit, ...stepContext(step, readsFactsOf ?? unit.readsFactsOf, mode, context) };
}
