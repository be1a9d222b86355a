// @ts-check
// The custom hasher of every target that changes the world (apply, effect, deliver): Nx's own
// hash of the task's inputs, and the unit's state token (state-token.js). Nx calls it in its main
// process right before the task would run, after the tasks it depends on (the synth, the units
// whose facts it reads), so the inputs hash covers what is about to be applied.
const { createHash } = require('node:crypto');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { hashWithToken } = require('./state-token');

/** The folder holding nx.json, from where Nx runs. @param {string} from */
function workspaceRootFrom(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/**
 * The unit and mode a task runs, from its options as Nx resolves them: the target's options,
 * then its configuration's, then the command line's.
 * @param {import('@nx/devkit').Task} task @param {import('@nx/devkit').ProjectsConfigurations} projects
 */
function unitAndMode(task, projects) {
  const target = projects.projects[task.target.project]?.targets?.[task.target.target];
  const configuration = task.target.configuration ? target?.configurations?.[task.target.configuration] : undefined;
  const options = { ...target?.options, ...configuration, ...task.overrides };
  const unit = options.unit ?? options.stack;
  if (typeof unit !== 'string') throw new Error(`Pushbutton's state hasher: task ${task.id} names no unit.`);
  return { unit, mode: options.mode === 'rehearse' ? 'rehearse' : 'live' };
}

/** @type {import('@nx/devkit').CustomHasher} */
async function stateHasher(task, context) {
  const env = /** @type {{ env?: NodeJS.ProcessEnv }} */ (context).env ?? process.env;
  const inputs = await context.hasher.hashTask(task, context.taskGraph, env);
  const { unit, mode } = unitAndMode(task, context.projectsConfigurations);
  const root = process.env.NX_WORKSPACE_ROOT_PATH ?? workspaceRootFrom(process.cwd());
  const withToken = (/** @type {string} */ token) => createHash('sha256').update(`${inputs.value}\n${token}`).digest('hex');
  const value = await hashWithToken(root, /** @type {'live' | 'rehearse'} */ (mode), unit, inputs.value, withToken, context.taskGraph);
  return { ...inputs, value };
}

module.exports = stateHasher;
