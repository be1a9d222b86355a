import type { ExecutorContext } from '@nx/devkit';
import type { Mode } from '../../mode';
import { readFacts } from '../../facts';
import { Command, commandsCode, CommandOptions, EffectContext } from '../../steps/kinds';
import { commandNamed } from '../../steps/registry';
import { awsPreflight } from '../../terraform/preflight';
import { runExecutor } from '../run-executor';
import { stepContext } from '../unit-context';

/** Every command's code, loaded with this executor. */
const COMMANDS = commandsCode();

export interface CommandExecutorOptions extends CommandOptions {
  command: string;
  mode: Mode;
}

/** Every option some command takes. Others Nx passes on from its own command line (`--quiet`) are left alone. */
const COMMAND_OPTIONS = new Set(Object.values(COMMANDS).flatMap((command) => command.options));

/** An option of another command (`status --case`) is an error, not silently ignored. */
function checkOptions(name: string, taken: string[], given: CommandOptions): void {
  const unknown = Object.keys(given).filter((option) => given[option] !== undefined && COMMAND_OPTIONS.has(option) && !taken.includes(option));
  if (!unknown.length) return;
  const takes = taken.length ? `it takes ${taken.map((o) => `--${o}`).join(', ')}` : 'it takes no options';
  throw new Error(`infra:${name} does not take ${unknown.map((o) => `--${o}`).join(', ')}: ${takes}.`);
}

export default async function commandExecutor({ command: name, mode, ...given }: CommandExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { step, command: definition } = commandNamed(name);
    const command = COMMANDS[name];
    checkOptions(name, command.options, given);
    if (!definition.readsFactsOf.some((unit) => readFacts(context.root, mode, unit))) {
      const { effectContext } = stepContext(step, [], mode, context);
      return print(await nothingProvisioned(step.name, command, effectContext), given.json ? '[]' : undefined);
    }
    const { effectContext } = stepContext(step, definition.readsFactsOf, mode, context);
    if (mode === 'live') await awsPreflight(`run ${name}`, effectContext.region);
    const text = mode === 'live' ? await command.run(effectContext, given) : command.rehearse(effectContext, given);
    print(text, given.json ? text : undefined);
  });
}

/** JSON goes to stdout alone, so `nx run infra:status --json --quiet` pipes into a program. */
function print(text: string, json: string | undefined): void {
  if (json !== undefined) process.stdout.write(`${json}\n`);
  else console.log(text);
}

/** What a command shows after destroy (or before the first provision): that nothing is there, checked against AWS where it can be. */
async function nothingProvisioned(stepName: string, command: Command, ctx: EffectContext): Promise<string> {
  const project = ctx.settings.project.name;
  const nothing = `Nothing of project ${project}'s ${stepName} step is provisioned in ${ctx.mode} mode: it has not run, or it was destroyed.`;
  if (ctx.mode !== 'live' || !command.leftovers) return nothing;
  await awsPreflight(`look for what is left of project ${project}`, ctx.region);
  const left = await command.leftovers(ctx);
  return left.length ? [nothing, 'Yet AWS still holds:', ...left.map((line) => `  ${line}`)].join('\n') : `${nothing} AWS holds none of it either.`;
}
