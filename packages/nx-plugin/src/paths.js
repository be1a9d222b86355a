// @ts-check
// Where a run writes things, relative to the workspace root. All of it is git-ignored.
// Plain JavaScript: project inference and the state hasher load it, and both must start fast.
const { join } = require('node:path');

const RUN_DIR = '.pushbutton';

/** @typedef {import('./mode').Mode} Mode */

const paths = {
  runDir: RUN_DIR,
  /** Output of `<stack>-synth`: cdktf's layout, `stacks/<stack>/cdk.tf.json`. */
  synthDir: (/** @type {string} */ stack) => join(RUN_DIR, 'synth', stack),
  synthesizedFile: (/** @type {string} */ stack) => join(RUN_DIR, 'synth', stack, 'stacks', stack, 'cdk.tf.json'),
  /** Terraform's working directory; in live mode with the local backend it also holds the state. */
  workDir: (/** @type {Mode} */ mode, /** @type {string} */ stack) => join(RUN_DIR, mode, stack),
  /** One `terraform init` shared by the rehearsals of stacks that need the same providers (terraform/stack-run.ts); without a key, the folder of them all. */
  rehearsalInitDir: (key = '') => join(RUN_DIR, 'rehearse-init', key),
  localStateFile: (/** @type {string} */ stack) => join(RUN_DIR, 'live', stack, 'terraform.tfstate'),
  /** What a rehearsal records in place of a state: the mock-applied resources and outputs. */
  rehearsalStateFile: (/** @type {string} */ stack) => join(RUN_DIR, 'rehearse', stack, 'rehearsal-state.json'),
  /** What a unit's last successful run left behind, and the token it was cached under (see state-token.js). */
  recordFile: (/** @type {Mode} */ mode, /** @type {string} */ unit) => join(RUN_DIR, mode, unit, 'record.json'),
  /** The token Nx hashed a unit's task with, for the run to record when it succeeds. */
  pendingTokenFile: (/** @type {Mode} */ mode, /** @type {string} */ unit) => join(RUN_DIR, mode, unit, 'pending-token.json'),
  /** Device private keys (0600) and certificate requests: never an Nx output. */
  keysDir: (/** @type {Mode} */ mode) => join(RUN_DIR, 'keys', mode),
  /** Output of a render unit: the step's rendered templates. */
  renderDir: (/** @type {Mode} */ mode, /** @type {string} */ step) => join(RUN_DIR, 'render', mode, step),
  /** Device bundles: they hold private keys, so never an Nx output. */
  bundlesDir: (/** @type {Mode} */ mode) => join(RUN_DIR, 'bundles', mode),
  /** Output of `<stack>-apply`: the facts later steps read. */
  factsFile: (/** @type {Mode} */ mode, /** @type {string} */ stack) => join(RUN_DIR, 'facts', mode, `${stack}.json`),
  /** The settings last read from a config folder, with what they were made from (config/load-config.ts). */
  configMemoFile: (/** @type {string} */ configDir) => join(RUN_DIR, 'config', `${configDir.replace(/[^\w.-]+/g, '_')}.v8`),
  /** The study report `infra:report` writes. */
  reportFile: (/** @type {Mode} */ mode) => join(RUN_DIR, 'reports', mode, 'study-report.html'),
};

module.exports = { paths };
