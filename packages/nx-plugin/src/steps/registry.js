// @ts-check
// The provisioning steps, in the order they provision: the one list. Each step is a folder here:
// its definition (step.js), its config schema (schema.json) and config rules (config.ts), and a
// module per unit and report; its stacks are in @pushbutton/stacks/src/<step>/ and its templates in
// templates/<step>/. Adding a step is that folder, its stacks, its starter config and its name here
// (docs/adding-a-step.md). Plain JavaScript that loads nothing but the definitions: project
// inference reads it on every Nx command.

const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** @typedef {import('./definition').StepDefinition} StepDefinition */
/** @typedef {import('./definition').UnitDefinition} UnitDefinition */
/** @typedef {import('./definition').CommandDefinition} CommandDefinition */

const STEP_NAMES = ['network', 'core', 'workflow'];

/** @type {StepDefinition[]} */
const STEPS = STEP_NAMES.map((name) => require(`./${name}/step.js`));

/** The folder the plugin infers the project from, and the settings every step reads, in it. */
const CONFIG_DIR = 'config';
const PROJECT_CONFIG_FILE = 'project.yaml';
/** The project's name when the plugin's options give none. */
const DEFAULT_PROJECT_NAME = 'infra';

/** Every unit, with its step. */
const UNITS = STEPS.flatMap((step) => step.units.map((unit) => ({ step, unit })));

/** The unit of that name, with its step; an error naming the units there are. @param {string} name */
function unitNamed(name) {
  const found = UNITS.find(({ unit }) => unit.name === name);
  if (!found) throw new Error(`Unknown unit "${name}"; the units are ${UNITS.map(({ unit }) => unit.name).join(', ')}.`);
  return found;
}

/** The step of that name; an error naming the steps there are. @param {string} name */
function stepNamed(name) {
  const found = STEPS.find((step) => step.name === name);
  if (!found) throw new Error(`Unknown step "${name}"; the steps are ${STEP_NAMES.join(', ')}.`);
  return found;
}

/** The steps a config folder provisions: those whose config file is in it, in order. @param {string} configDir absolute */
const stepsConfiguredIn = (configDir) => STEPS.filter((step) => existsSync(join(configDir, step.configFile)));

/** The command of that name, with its step. @param {string} name */
function commandNamed(name) {
  for (const step of STEPS) {
    const command = (step.commands ?? []).find((c) => c.name === name);
    if (command) return { step, command };
  }
  throw new Error(`Unknown command "${name}".`);
}

module.exports = { STEPS, UNITS, CONFIG_DIR, PROJECT_CONFIG_FILE, DEFAULT_PROJECT_NAME, unitNamed, stepNamed, stepsConfiguredIn, commandNamed };
