// @ts-check
// Project inference: `config/project.yaml` makes project `infra`, with a synth and an
// apply target per stack of each step whose config file exists.
//
// Plain JavaScript that loads nothing but node builtins: Nx runs this on every
// command, and a TypeScript entry (transpiler) or a runtime import of @nx/devkit
// costs several hundred milliseconds each time (see docs/decisions.md).
const { existsSync } = require('node:fs');
const { dirname, join, relative, sep } = require('node:path');
const { paths } = require('./paths');
const { PROJECT_CONFIG_FILE, STEPS } = require('./steps');

/** @typedef {import('@nx/devkit').TargetConfiguration} TargetConfiguration */
/** @typedef {import('@nx/devkit').CreateNodesContextV2} CreateNodesContext */
/** @typedef {import('@nx/devkit').CreateNodesResult} CreateNodesResult */
/** @typedef {import('./steps').StackDefinition} StackDefinition */
/** @typedef {{ projectName?: string }} PushbuttonPluginOptions */

const PLUGIN = '@pushbutton/nx-plugin';
const PLUGIN_DIR = dirname(__dirname);
const STACK_LIBRARIES = ['cdktf', '@cdktf/provider-aws', 'constructs'];
const CONFIG_LIBRARIES = ['ajv', 'yaml', 'ipaddr.js'];
const REHEARSE = { rehearse: { mode: 'rehearse' } };

const posix = (/** @type {string} */ path) => path.split(sep).join('/');

/**
 * How Pushbutton's own code enters a cache key: as files when its packages are
 * part of this workspace, as external dependencies when installed from a registry.
 * @param {string} workspaceRoot
 */
function codeInputs(workspaceRoot) {
  /** @type {(string | { externalDependencies: string[] })[]} */
  const files = [];
  const installed = [];
  for (const [name, dir] of [
    [PLUGIN, PLUGIN_DIR],
    ['@pushbutton/stacks', dirname(require.resolve('@pushbutton/stacks/package.json'))],
  ]) {
    const rel = posix(relative(workspaceRoot, dir));
    if (rel.startsWith('..') || rel.split('/').includes('node_modules')) installed.push(name);
    else files.push(`{workspaceRoot}/${rel}/src/**/*`, `{workspaceRoot}/${rel}/package.json`);
  }
  return { files, externalDependencies: installed };
}

/**
 * @param {StackDefinition} stack
 * @param {string[]} readers stacks whose apply reads this stack's facts
 * @param {string[]} configInputs
 * @param {ReturnType<typeof codeInputs>} code
 * @param {string} fingerprintCommand
 * @returns {Record<string, TargetConfiguration>}
 */
function stackTargets(stack, readers, configInputs, code, fingerprintCommand) {
  const s = stack.name;
  return {
    [`${s}-synth`]: {
      executor: `${PLUGIN}:synth`,
      options: { stack: s },
      dependsOn: ['validate'],
      cache: true,
      inputs: [
        ...configInputs,
        ...code.files,
        { externalDependencies: [...STACK_LIBRARIES, ...CONFIG_LIBRARIES, ...code.externalDependencies] },
      ],
      outputs: [`{workspaceRoot}/${posix(paths.synthDir(s))}`],
      metadata: { description: `Synthesize the ${s} stack (${stack.summary}) to Terraform JSON.` },
    },
    [`${s}-apply`]: {
      executor: `${PLUGIN}:apply`,
      options: { stack: s, mode: 'live' },
      configurations: REHEARSE,
      dependsOn: [`${s}-synth`, ...stack.readsFactsOf.map((other) => `${other}-apply`)],
      cache: true,
      inputs: [
        // The synthesized Terraform and the facts read: the outputs of the tasks this one depends on.
        { dependentTasksOutputFiles: '**/*', transitive: false },
        { runtime: fingerprintCommand },
        { externalDependencies: [] },
      ],
      outputs: [`{workspaceRoot}/${posix(paths.runDir)}/facts/{options.mode}/${s}.json`],
      metadata: {
        description:
          `Apply the ${s} stack with Terraform and record its facts. ` +
          'Cached on the synthesized Terraform, the facts it reads and a fingerprint of the current state. ' +
          'Configuration `rehearse`: validate, plan and apply against a mock provider, no AWS account.',
      },
    },
    [`${s}-destroy`]: {
      executor: `${PLUGIN}:destroy`,
      options: { stack: s, mode: 'live' },
      configurations: REHEARSE,
      dependsOn: [`${s}-synth`, ...readers.map((reader) => `${reader}-destroy`)],
      cache: false,
      metadata: { description: `Destroy everything the ${s} stack created (after the stacks that read its facts).` },
    },
  };
}

/**
 * @param {string} configFile path of project.yaml, relative to the workspace root
 * @param {PushbuttonPluginOptions | undefined} options
 * @param {CreateNodesContext} context
 * @returns {CreateNodesResult}
 */
function inferInfraProject(configFile, options, context) {
  const root = dirname(configFile);
  const steps = STEPS.filter((step) => existsSync(join(context.workspaceRoot, root, step.configFile)));
  const stacks = steps.flatMap((step) => step.stacks.map((stack) => ({ step, stack })));
  const code = codeInputs(context.workspaceRoot);
  const fingerprintScript = posix(relative(context.workspaceRoot, join(PLUGIN_DIR, 'bin', 'state-fingerprint.js')));

  /** @type {Record<string, TargetConfiguration>} */
  const targets = {
    validate: {
      executor: `${PLUGIN}:validate`,
      cache: true,
      inputs: ['{projectRoot}/*.yaml', ...code.files, { externalDependencies: [...CONFIG_LIBRARIES, ...code.externalDependencies] }],
      outputs: [],
      metadata: { description: 'Check every config file against its JSON Schema and the cross-field rules.' },
    },
  };
  for (const { step, stack } of stacks) {
    const readers = stacks.filter((other) => other.stack.readsFactsOf.includes(stack.name)).map((other) => other.stack.name);
    const configInputs = [`{projectRoot}/${PROJECT_CONFIG_FILE}`, `{projectRoot}/${step.configFile}`];
    Object.assign(
      targets,
      stackTargets(stack, readers, configInputs, code, `node "${fingerprintScript}" ${stack.name}`),
    );
  }
  targets.provision = {
    executor: `${PLUGIN}:summary`,
    options: { mode: 'live', stacks: stacks.map(({ stack }) => stack.name) },
    configurations: REHEARSE,
    dependsOn: stacks.map(({ stack }) => `${stack.name}-apply`),
    cache: true,
    inputs: [{ dependentTasksOutputFiles: '**/*', transitive: false }, { externalDependencies: [] }],
    outputs: [],
    metadata: {
      description:
        'Provision every step in dependency order, each at most once, and print the facts. ' +
        'Configuration `rehearse`: the whole run offline against a mock provider.',
    },
  };
  targets.destroy = {
    executor: 'nx:noop',
    configurations: { rehearse: {} },
    dependsOn: stacks.map(({ stack }) => `${stack.name}-destroy`),
    cache: false,
    metadata: { description: 'Tear down every step, in reverse dependency order.' },
  };

  return {
    projects: {
      [root]: {
        name: options?.projectName ?? 'infra',
        root,
        projectType: 'application',
        tags: ['pushbutton'],
        targets,
      },
    },
  };
}

/** @type {import('@nx/devkit').CreateNodesV2<PushbuttonPluginOptions>} */
const createNodes = [
  `config/${PROJECT_CONFIG_FILE}`,
  // The batched form, as createNodesFromFiles would build it; requiring @nx/devkit
  // for that helper alone would cost more than the rest of inference together.
  async (configFiles, options, context) => configFiles.map((file) => [file, inferInfraProject(file, options, context)]),
];

module.exports = { createNodes, createNodesV2: createNodes };
