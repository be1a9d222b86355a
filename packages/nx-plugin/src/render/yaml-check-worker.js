// @ts-check
// What is wrong with a rendered YAML text, if anything. Also the worker thread that checks many
// texts while the render step writes them (see yaml-checks.ts): plain JavaScript, because a
// worker does not inherit the transpiler Nx loads executors with.
// js-yaml, not the `yaml` library config and generators use: it parses 3 to 4 times faster, and
// a check needs no positions or comments (see docs/decisions.md).
const { isMainThread, workerData } = require('node:worker_threads');
const { load, YAMLException } = require('js-yaml');

/** @param {string} text @returns {string | undefined} */
function yamlProblem(text) {
  try {
    load(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    return `not valid YAML: ${error.message}`;
  }
}

/** @typedef {{ problems: (string | null)[] } | { failure: string }} CheckResult */

if (!isMainThread && workerData?.yamlChecks) {
  /** @type {{ texts: string[], port: import('node:worker_threads').MessagePort, done: Int32Array }} */
  const { texts, port, done } = workerData;
  try {
    port.postMessage({ problems: texts.map((text) => yamlProblem(text) ?? null) });
  } catch (error) {
    port.postMessage({ failure: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  }
}

module.exports = { yamlProblem, WORKER_FILE: __filename };
