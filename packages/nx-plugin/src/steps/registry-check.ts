// What the registry's steps must have, checked in one place: every unit's code where its kind says,
// of the shape its kind needs; every name a unit refers to, real; no two targets of one name.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StepDefinition, UnitDefinition } from './definition';
import { commandModule, loadModule, unitModule, type Load } from './kinds';
import { STEPS } from './registry';

const isFunction = (value: unknown) => typeof value === 'function';
const hasFunctions = (...names: string[]) => (value: unknown) =>
  !!value && typeof value === 'object' && names.every((name) => isFunction((value as Record<string, unknown>)[name]));

/** What the default export of each kind's module must be, and how to say it. */
const SHAPES: Record<UnitDefinition['kind'] | 'command', { is: (value: unknown) => boolean; what: string }> = {
  stack: { is: isFunction, what: 'a stack builder (scope, name, settings) => TerraformStack' },
  effect: { is: hasFunctions('apply', 'rehearse', 'destroy'), what: 'an effect with apply, rehearse and destroy' },
  render: { is: isFunction, what: 'a render plan (settings, facts, rehearsal) => render items' },
  deliver: { is: isFunction, what: 'a delivery plan (settings, workspaceRoot, mode) => bundles' },
  command: { is: (value) => hasFunctions('run', 'rehearse')(value) && Array.isArray((value as { options?: unknown }).options), what: 'a command with options, run and rehearse' },
};

/** The problem with a module's default export, if any. */
function moduleProblem(load: Load, module: string, shape: keyof typeof SHAPES, owner: string): string | undefined {
  let exported: unknown;
  try {
    exported = load(module).default;
  } catch (error) {
    return `${owner}: cannot load ${module}: ${(error as Error).message.split('\n')[0]}`;
  }
  return SHAPES[shape].is(exported) ? undefined : `${owner}: ${module} does not export ${SHAPES[shape].what} as its default`;
}

/** The targets a unit makes, by kind (as project inference names them). */
function targetNames(unit: UnitDefinition): string[] {
  if (unit.kind === 'stack') return [`${unit.name}-synth`, `${unit.name}-apply`, `${unit.name}-destroy`];
  if (unit.kind === 'effect') return [unit.name, `${unit.name}-destroy`];
  return [unit.name];
}

function stepProblems(step: StepDefinition, load: Load, unitNames: Set<string>): string[] {
  const problems: string[] = [];
  const folder = join(__dirname, step.name);
  if (!existsSync(join(folder, 'schema.json'))) problems.push(`step ${step.name}: no schema.json for ${step.configFile} in ${folder}`);
  const config = (() => {
    try {
      return load(`./${step.name}/config`) as { config?: { resolve?: unknown } };
    } catch (error) {
      return { error: (error as Error).message.split('\n')[0] };
    }
  })();
  if (!isFunction((config as { config?: { resolve?: unknown } }).config?.resolve)) {
    problems.push(`step ${step.name}: ./${step.name}/config exports no config with a resolve function`);
  }
  for (const unit of step.units) {
    const problem = moduleProblem(load, unitModule(step, unit), unit.kind, `unit ${unit.name} (${unit.kind})`);
    if (problem) problems.push(problem);
    for (const name of [...unit.readsFactsOf, ...(unit.after ?? [])]) {
      if (!unitNames.has(name)) problems.push(`unit ${unit.name}: reads or runs after ${name}, which no step has`);
    }
  }
  for (const command of step.commands ?? []) {
    const problem = moduleProblem(load, commandModule(step, command), 'command', `command ${command.name}`);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Everything that is missing or wrong in the registry's steps; none when each step is complete. */
export function registryProblems(steps: StepDefinition[] = STEPS, load: Load = loadModule): string[] {
  const unitNames = new Set(steps.flatMap((step) => step.units.map((unit) => unit.name)));
  const problems = steps.flatMap((step) => stepProblems(step, load, unitNames));
  const targets = [
    'validate',
    'provision',
    'destroy',
    ...steps.flatMap((step) => [step.name, ...step.units.flatMap(targetNames), ...(step.commands ?? []).map((command) => command.name)]),
  ];
  const twice = [...new Set(targets.filter((name, i) => targets.indexOf(name) !== i))];
  if (twice.length) problems.push(`target names given twice (steps, units and commands must not share them): ${twice.join(', ')}`);
  return problems;
}
