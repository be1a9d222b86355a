// @ts-check
// What is wrong with a rendered YAML text, if anything. Also the worker thread that checks many
// texts while the render step writes them (see yaml-checks.ts): plain JavaScript, because a
// worker does not inherit the transpiler Nx loads executors with.
const { isMainThread, workerData } = require('node:worker_threads');
const { parseDocument } = require('yaml');

/** @param {string} text @returns {string | undefined} */
function yamlProblem(text) {
  const { errors } = parseDocument(text);
  return errors.length > 0 ? `not valid YAML: ${errors.map((error) => error.message).join('; ')}` : undefined;
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
