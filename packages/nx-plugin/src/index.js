// @ts-check
// Project inference: `config/project.yaml` makes project `infra`, with targets for the units
// of each step whose config file exists (see steps.js).
//
// Plain JavaScript that loads nothing but node builtins: Nx runs this on every command, and
// a TypeScript entry (transpiler) or a runtime import of @nx/devkit costs several hundred
// milliseconds each time (see docs/decisions.md).
const { existsSync } = require('node:fs');
const { dirname, join, relative, sep } = require('node:path');
const { paths } = require('./paths');
const { CONFIG_DIR, DEFAULT_PROJECT_NAME, PROJECT_CONFIG_FILE, STEPS } = require('./steps');

/** @typedef {import('@nx/devkit').TargetConfiguration} TargetConfiguration */
/** @typedef {import('@nx/devkit').CreateNodesContextV2} CreateNodesContext */
/** @typedef {import('@nx/devkit').CreateNodesResult} CreateNodesResult */
/** @typedef {import('./steps').StepDefinition} StepDefinition */
/** @typedef {import('./steps').UnitDefinition} UnitDefinition */
/** @typedef {{ projectName?: string }} PushbuttonPluginOptions */
/** @typedef {(string | { externalDependencies: string[] } | { dependentTasksOutputFiles: string, transitive: boolean })[]} Inputs */

const PLUGIN = '@pushbutton/nx-plugin';
const PLUGIN_DIR = dirname(__dirname);
const CONFIG_LIBRARIES = ['ajv', 'yaml', 'ipaddr.js'];
const LIBRARIES = {
  stack: ['cdktf', '@cdktf/provider-aws', 'constructs'],
  effect: ['@aws-sdk/client-greengrassv2', '@aws-sdk/client-iot'],
  render: ['ejs', 'shell-quote', 'js-yaml'],
  deliver: ['tar'],
};
const REHEARSE = { rehearse: { mode: 'rehearse' } };
/** The outputs of the tasks a task depends on: synthesized Terraform, facts, rendered files. */
const DEPENDENCY_OUTPUTS = { dependentTasksOutputFiles: '**/*', transitive: false };

const posix = (/** @type {string} */ path) => path.split(sep).join('/');
/** A dependency that receives the options given on the command line (e.g. `destroy --removeKeys`). */
const forwarding = (/** @type {string} */ target) => ({ target, params: /** @type {const} */ ('forward') });
const runDir = posix(paths.runDir);

/**
 * How Pushbutton's own code enters a cache key: as files when its packages are part of
 * this workspace, as external dependencies when installed from a registry.
 * @param {string} workspaceRoot
 */
function codeInputs(workspaceRoot) {
  /** @type {string[]} */
  const files = [];
  /** @type {string[]} */
  const installed = [];
  /** @type {string[]} */
  const local = [];
  for (const [name, dir] of [
    [PLUGIN, PLUGIN_DIR],
    ['@pushbutton/stacks', dirname(require.resolve('@pushbutton/stacks/package.json'))],
  ]) {
    const rel = posix(relative(workspaceRoot, dir));
    if (rel.startsWith('..') || rel.split('/').includes('node_modules')) installed.push(name);
    else {
      files.push(`{workspaceRoot}/${rel}/src/**/*`, `{workspaceRoot}/${rel}/package.json`);
      local.push(name);
    }
  }
  return { files, installed, local };
}

/**
 * Builds the targets of one step's units.
 * @param {StepDefinition} step
 * @param {{ code: ReturnType<typeof codeInputs>, readersOf: (unit: string) => UnitDefinition[] }} shared
 */
function stepTargets(step, { code, readersOf }) {
  /** @type {(kind: keyof typeof LIBRARIES) => Inputs} */
  const sourceInputs = (kind) => [
    `{projectRoot}/${PROJECT_CONFIG_FILE}`,
    `{projectRoot}/${step.configFile}`,
    ...code.files,
    { externalDependencies: [...LIBRARIES[kind], ...CONFIG_LIBRARIES, ...code.installed] },
  ];
  /** @type {Record<string, TargetConfiguration>} */
  const targets = {};
  for (const unit of step.units) {
    const u = unit.name;
    const upstream = [...unit.readsFactsOf, ...(unit.after ?? [])].map(mainTargetOf);
    const factsOutput = `{workspaceRoot}/${runDir}/facts/{options.mode}/${u}.json`;
    const destroy = {
      executor: `${PLUGIN}:destroy`,
      options: { unit: u, mode: 'live' },
      configurations: REHEARSE,
      dependsOn: readersOf(u).map((reader) => forwarding(`${reader.name}-destroy`)),
      cache: false,
      metadata: { description: `Undo ${u} (${unit.summary}), after the units that read its facts.` },
    };
    if (unit.kind === 'stack') {
      targets[`${u}-synth`] = {
        executor: `${PLUGIN}:synth`,
        options: { stack: u },
        dependsOn: ['validate'],
        cache: true,
        inputs: sourceInputs('stack'),
        outputs: [`{workspaceRoot}/${posix(paths.synthDir(u))}`],
        metadata: { description: `Synthesize the ${u} stack (${unit.summary}) to Terraform JSON.` },
      };
      targets[`${u}-apply`] = {
        executor: `${PLUGIN}:apply`,
        options: { stack: u, mode: 'live' },
        configurations: REHEARSE,
        dependsOn: [`${u}-synth`, ...upstream],
        cache: true,
        inputs: [DEPENDENCY_OUTPUTS, { externalDependencies: [] }],
        outputs: [factsOutput],
        metadata: {
          description:
            `Apply the ${u} stack with Terraform and record its facts. ` +
            'Cached on the synthesized Terraform, the facts it reads and the state token of what the last apply left. ' +
            'Configuration `rehearse`: validate, plan and apply against a mock provider, no AWS account.',
        },
      };
      targets[`${u}-destroy`] = { ...destroy, dependsOn: [`${u}-synth`, ...destroy.dependsOn] };
    } else if (unit.kind === 'effect') {
      targets[u] = {
        executor: `${PLUGIN}:effect`,
        options: { unit: u, mode: 'live' },
        configurations: REHEARSE,
        dependsOn: ['validate', ...upstream],
        cache: true,
        inputs: [...sourceInputs('effect'), DEPENDENCY_OUTPUTS],
        outputs: [factsOutput],
        metadata: {
          description:
            `With the AWS SDK: ${unit.summary}. Idempotent; cached on its config, the facts it reads and the state token of what it last did. ` +
            'Configuration `rehearse`: say what it would do, without calling AWS.',
        },
      };
      targets[`${u}-destroy`] = destroy;
    } else if (unit.kind === 'render') {
      targets[u] = {
        executor: `${PLUGIN}:render`,
        options: { unit: u, mode: 'live' },
        configurations: REHEARSE,
        dependsOn: ['validate', ...upstream],
        cache: true,
        inputs: [...sourceInputs('render'), `{workspaceRoot}/templates/${step.name}/**/*`, DEPENDENCY_OUTPUTS],
        outputs: [`{workspaceRoot}/${runDir}/render/{options.mode}/${step.name}`],
        metadata: { description: `Render templates/${step.name}: ${unit.summary}. Pure and cached.` },
      };
    } else {
      targets[u] = {
        executor: `${PLUGIN}:deliver`,
        options: { unit: u, mode: 'live' },
        configurations: REHEARSE,
        dependsOn: ['validate', ...upstream],
        cache: true,
        inputs: [...sourceInputs('deliver'), DEPENDENCY_OUTPUTS],
        outputs: [factsOutput],
        metadata: {
          description: `Deliver the device bundles: ${unit.summary}. Bundles hold private keys, so they are never an Nx output. Configuration \`rehearse\`: pack, but deliver nothing.`,
        },
      };
    }
  }
  for (const report of step.reports ?? []) {
    targets[report.name] = {
      executor: `${PLUGIN}:status`,
      options: { report: report.name, mode: 'live' },
      configurations: REHEARSE,
      cache: false,
      metadata: { description: `Report ${report.summary}. Reads AWS each time; run it after provision.` },
    };
  }
  return targets;
}

/**
 * The target that makes a unit's facts.
 * @param {string} unitName
 */
function mainTargetOf(unitName) {
  const unit = STEPS.flatMap((step) => step.units).find((u) => u.name === unitName);
  return unit?.kind === 'stack' ? `${unitName}-apply` : unitName;
}

/** The steps whose config file exists in the project's config folder. @param {string} configDir */
const stepsIn = (configDir) => STEPS.filter((step) => existsSync(join(configDir, step.configFile)));

/**
 * @param {string} configFile path of project.yaml, relative to the workspace root
 * @param {PushbuttonPluginOptions | undefined} options
 * @param {CreateNodesContext} context
 * @returns {CreateNodesResult}
 */
function inferInfraProject(configFile, options, context) {
  const root = dirname(configFile);
  const steps = stepsIn(join(context.workspaceRoot, root));
  const units = steps.flatMap((step) => step.units);
  const code = codeInputs(context.workspaceRoot);
  const undoable = units.filter((u) => u.kind === 'stack' || u.kind === 'effect');
  const shared = {
    code,
    readersOf: (/** @type {string} */ unit) => undoable.filter((u) => u.readsFactsOf.includes(unit)),
  };

  /** @type {Record<string, TargetConfiguration>} */
  const targets = {
    validate: {
      executor: `${PLUGIN}:validate`,
      cache: true,
      inputs: ['{projectRoot}/*.yaml', ...code.files, { externalDependencies: [...CONFIG_LIBRARIES, ...code.installed] }],
      outputs: [],
      metadata: { description: 'Check every config file against its JSON Schema and the cross-field rules.' },
    },
  };
  for (const step of steps) Object.assign(targets, stepTargets(step, shared));
  targets.provision = {
    executor: `${PLUGIN}:summary`,
    options: { mode: 'live', units: units.map((u) => u.name) },
    configurations: REHEARSE,
    dependsOn: units.map((u) => mainTargetOf(u.name)),
    cache: true,
    inputs: [DEPENDENCY_OUTPUTS, { externalDependencies: [] }],
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
    dependsOn: undoable.map((u) => forwarding(`${u.name}-destroy`)),
    cache: false,
    metadata: {
      description: 'Tear every step down, in reverse dependency order. Local device keys stay unless you pass --removeKeys.',
    },
  };

  return {
    projects: {
      [root]: {
        name: options?.projectName ?? DEFAULT_PROJECT_NAME,
        root,
        projectType: 'application',
        tags: ['pushbutton'],
        // Where Pushbutton's own packages are projects of this workspace, changing them affects infra.
        implicitDependencies: code.local,
        targets,
      },
    },
  };
}

/** @type {import('@nx/devkit').CreateNodesV2<PushbuttonPluginOptions>} */
const createNodes = [
  `${CONFIG_DIR}/${PROJECT_CONFIG_FILE}`,
  // The batched form, as createNodesFromFiles would build it; requiring @nx/devkit
  // for that helper alone would cost more than the rest of inference together.
  async (configFiles, options, context) => configFiles.map((file) => [file, inferInfraProject(file, options, context)]),
];

module.exports = { createNodes, createNodesV2: createNodes };
