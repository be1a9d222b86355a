#!/usr/bin/env node
// @ts-check
// The command of every target whose cache key is its inputs alone (validate, the synths, the
// renders, the step summaries and provision): `nx run` starts it through `nx:run-commands`, from
// Nx's own process. An executor target would cost a forked process that loads Nx first (about
// 0.25 s of CPU a task; docs/decisions.md, "Rehearsal"). It runs the executor function Nx would,
// with the fields of Nx's executor context those executors read.
//
//   node run-target.js <validate | synth | render | summary> [option=value ...]
//   e.g. node run-target.js synth stack=network
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { CONFIG_DIR, DEFAULT_PROJECT_NAME } = require('../src/steps/registry');
const { requireWhenNeeded } = require('../src/typescript-source');

const EXECUTORS = ['validate', 'synth', 'render', 'summary'];

/** @param {string} message @returns {never} */
function usage(message) {
  console.error(`run-target: ${message}\nUsage: node run-target.js <${EXECUTORS.join(' | ')}> [option=value ...]`);
  process.exit(2);
}

/** @param {string[]} args */
function parse(args) {
  const [executor, ...pairs] = args;
  if (!EXECUTORS.includes(executor)) usage(`expected an executor first, got ${executor === undefined ? 'nothing' : JSON.stringify(executor)}.`);
  const options = Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) usage(`expected option=value, got ${JSON.stringify(pair)}.`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  return { executor, options };
}

/** The executor's module; in Pushbutton's own repository its TypeScript source, compiled as Nx would. @param {string} executor */
function load(executor) {
  const module = join(__dirname, '..', 'src', 'executors', executor, 'executor');
  return requireWhenNeeded(require, module, !existsSync(`${module}.js`)).default;
}

const { executor, options } = parse(process.argv.slice(2));
const root = process.cwd();
const context = {
  root,
  projectName: DEFAULT_PROJECT_NAME,
  projectsConfigurations: { version: 2, projects: { [DEFAULT_PROJECT_NAME]: { root: CONFIG_DIR } } },
};
load(executor)(options, context).then((/** @type {{ success: boolean }} */ result) => {
  process.exitCode = result.success ? 0 : 1;
});
