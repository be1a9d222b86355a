import type { ExecutorContext } from '@nx/devkit';
import type { Mode } from '../../mode';
import { commandsCode, CommandOptions } from '../../steps/kinds';
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
    const { effectContext } = stepContext(step, definition.readsFactsOf, mode, context);
    if (mode === 'live') await awsPreflight(`run ${name}`, effectContext.region);
    const text = mode === 'live' ? await command.run(effectContext, given) : command.rehearse(effectContext, given);
    // JSON goes to stdout alone, so `nx run infra:status --json --quiet` pipes into a program.
    if (given.json) process.stdout.write(`${text}\n`);
    else console.log(text);
  });
}
