// @ts-check
// Project inference: `config/project.yaml` makes project `infra`, with a target per step whose
// config file exists, the targets of its units, and `provision` and `destroy` over all of them
// (the steps are in steps/registry.js).
//
// Plain JavaScript that loads nothing but node builtins: Nx runs this on every command, and
// a TypeScript entry (transpiler) or a runtime import of @nx/devkit costs several hundred
// milliseconds each time (see docs/decisions.md).
const { dirname, join, relative, sep } = require('node:path');
const { paths } = require('./paths');
const { CONFIG_DIR, DEFAULT_PROJECT_NAME, PROJECT_CONFIG_FILE, UNITS, stepsConfiguredIn } = require('./steps/registry');

/** @typedef {import('@nx/devkit').TargetConfiguration} TargetConfiguration */
/** @typedef {import('@nx/devkit').CreateNodesContextV2} CreateNodesContext */
/** @typedef {import('@nx/devkit').CreateNodesResult} CreateNodesResult */
/** @typedef {import('./steps/definition').StepDefinition} StepDefinition */
/** @typedef {import('./steps/definition').UnitDefinition} UnitDefinition */
/** @typedef {{ projectName?: string }} PushbuttonPluginOptions */
/** @typedef {(string | { externalDependencies: string[] } | { dependentTasksOutputFiles: string, transitive: boolean })[]} Inputs */
/** @typedef {ReturnType<typeof codeInputs>} CodeInputs */
/** @typedef {ReturnType<typeof commandsFrom>} Command */

const PLUGIN = '@pushbutton/nx-plugin';
const PLUGIN_DIR = dirname(__dirname);
const RUN_TARGET = join(PLUGIN_DIR, 'bin', 'run-target.js');
const CONFIG_LIBRARIES = ['ajv', 'yaml', 'ipaddr.js'];
/** What each kind's own code is built on; an effect names its SDK packages in its definition. */
const KIND_LIBRARIES = {
  stack: ['cdktf', '@cdktf/provider-aws', 'constructs'],
  render: ['ejs', 'shell-quote', 'js-yaml'],
  deliver: ['tar'],
};
const REHEARSE = { rehearse: { mode: 'rehearse' } };
/** The outputs of the tasks a task depends on: synthesized Terraform, facts, rendered files. */
const DEPENDENCY_OUTPUTS = { dependentTasksOutputFiles: '**/*', transitive: false };
/** What a summary prints: the facts (JSON) of every unit under it. */
const FACTS_BELOW = { dependentTasksOutputFiles: '**/facts/**/*.json', transitive: true };

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
 * The targets whose cache key is their inputs alone run their executor as a command,
 * `node …/bin/run-target.js <executor> option=value…`: Nx starts `nx:run-commands` from its own
 * process, where an executor target costs a forked process that loads Nx first (about 0.25 s of
 * CPU a task). Targets keyed on a state token stay executors: a custom hasher belongs to one.
 * The options stay on the target too, for its outputs (`{options.mode}`) and for people reading it.
 * @param {string} workspaceRoot
 */
function commandsFrom(workspaceRoot) {
  const path = posix(relative(workspaceRoot, RUN_TARGET));
  // Nx runs the command through a shell: a path with spaces (a linked plugin, say) is quoted.
  const bin = /^[\w./@-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
  const line = (/** @type {string} */ executor, /** @type {Record<string, string>} */ options) =>
    ['node', bin, executor, ...Object.entries(options).map(([name, value]) => `${name}=${value}`)].join(' ');
  /** @param {string} executor @param {Record<string, string>} options */
  return (executor, options) => {
    const target = { executor: 'nx:run-commands', options: { command: line(executor, options), forwardAllArgs: false, ...options } };
    if (!('mode' in options)) return target;
    return { ...target, configurations: { rehearse: { ...REHEARSE.rehearse, command: line(executor, { ...options, ...REHEARSE.rehearse }) } } };
  };
}

/** @param {never} unit @returns {never} */
function unknownKind(unit) {
  throw new Error(`Unit ${/** @type {UnitDefinition} */ (unit).name} is of no kind Pushbutton knows: ${/** @type {UnitDefinition} */ (unit).kind}`);
}

/**
 * The target that makes a unit's facts.
 * @param {string} unitName
 */
function mainTargetOf(unitName) {
  const found = UNITS.find(({ unit }) => unit.name === unitName);
  return found?.unit.kind === 'stack' ? `${unitName}-apply` : unitName;
}

/**
 * The targets of one unit.
 * @param {StepDefinition} step @param {UnitDefinition} unit
 * @param {{ code: CodeInputs, command: Command, readersOf: (unit: string) => UnitDefinition[], deliveriesBefore: (unit: UnitDefinition) => UnitDefinition[] }} shared
 * @returns {Record<string, TargetConfiguration>}
 */
function unitTargets(step, unit, { code, command, readersOf, deliveriesBefore }) {
  const u = unit.name;
  /** @type {(libraries: string[]) => Inputs} */
  const sourceInputs = (libraries) => [
    `{projectRoot}/${PROJECT_CONFIG_FILE}`,
    `{projectRoot}/${step.configFile}`,
    ...(unit.inputs ?? []),
    ...code.files,
    { externalDependencies: [...libraries, ...CONFIG_LIBRARIES, ...code.installed] },
  ];
  const upstream = [...unit.readsFactsOf, ...(unit.after ?? [])].map(mainTargetOf);
  const factsOutput = `{workspaceRoot}/${runDir}/facts/{options.mode}/${u}.json`;
  const destroy = {
    executor: `${PLUGIN}:destroy`,
    options: { unit: u, mode: 'live' },
    configurations: REHEARSE,
    dependsOn: [...readersOf(u), ...deliveriesBefore(unit)].map((first) => forwarding(`${first.name}-destroy`)),
    cache: false,
    metadata: { description: `Undo ${u} (${unit.summary}), after the units that read its facts.` },
  };
  switch (unit.kind) {
    case 'stack':
      return {
        [`${u}-synth`]: {
          ...command('synth', { stack: u }),
          dependsOn: ['validate'],
          cache: true,
          inputs: sourceInputs(KIND_LIBRARIES.stack),
          outputs: [`{workspaceRoot}/${posix(paths.synthDir(u))}`],
          metadata: { description: `Synthesize the ${u} stack (${unit.summary}) to Terraform JSON.` },
        },
        [`${u}-apply`]: {
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
        },
        [`${u}-destroy`]: { ...destroy, dependsOn: [`${u}-synth`, ...destroy.dependsOn] },
      };
    case 'effect':
      return {
        [u]: {
          executor: `${PLUGIN}:effect`,
          options: { unit: u, mode: 'live' },
          configurations: REHEARSE,
          dependsOn: ['validate', ...upstream],
          cache: true,
          inputs: [...sourceInputs(unit.packages), DEPENDENCY_OUTPUTS],
          outputs: [factsOutput],
          metadata: {
            description:
              `With the AWS SDK: ${unit.summary}. Idempotent; cached on its config, the facts it reads and the state token of what it last did. ` +
              'Configuration `rehearse`: say what it would do, without calling AWS.',
          },
        },
        [`${u}-destroy`]: destroy,
      };
    case 'render':
      return {
        [u]: {
          ...command('render', { unit: u, mode: 'live' }),
          dependsOn: ['validate', ...upstream],
          cache: true,
          inputs: [...sourceInputs(KIND_LIBRARIES.render), `{workspaceRoot}/templates/${step.name}/**/*`, DEPENDENCY_OUTPUTS],
          outputs: [`{workspaceRoot}/${runDir}/render/{options.mode}/${step.name}`],
          metadata: { description: `Render templates/${step.name}: ${unit.summary}. Pure and cached.` },
        },
      };
    case 'deliver':
      return {
        [u]: {
          executor: `${PLUGIN}:deliver`,
          options: { unit: u, mode: 'live' },
          configurations: REHEARSE,
          dependsOn: ['validate', ...upstream],
          cache: true,
          inputs: [...sourceInputs(KIND_LIBRARIES.deliver), DEPENDENCY_OUTPUTS],
          outputs: [factsOutput],
          metadata: {
            description: `Deliver the device bundles: ${unit.summary}. Bundles hold private keys, so they are never an Nx output. Configuration \`rehearse\`: pack, but deliver nothing.`,
          },
        },
        [`${u}-destroy`]: {
          ...destroy,
          metadata: {
            description: `Undo ${u}: with --uninstall, uninstall over ssh from every device with a host (its rendered uninstall.sh), else say what still runs there. First of all, so nothing on a device re-creates what the other units remove.`,
          },
        },
      };
    default:
      return unknownKind(unit);
  }
}

/**
 * The step's own target, which runs every unit of the step and, first, the steps whose facts it reads.
 * @param {StepDefinition} step @param {StepDefinition[]} steps the steps that exist @param {Command} command
 * @returns {TargetConfiguration}
 */
function stepTarget(step, steps, command) {
  const own = new Set(step.units.map((unit) => unit.name));
  const read = step.units.flatMap((unit) => [...unit.readsFactsOf, ...(unit.after ?? [])]).filter((name) => !own.has(name));
  const upstream = steps.filter((other) => other !== step && other.units.some((unit) => read.includes(unit.name)));
  return {
    ...command('summary', { mode: 'live', step: step.name }),
    dependsOn: [...upstream.map((other) => other.name), ...[...own].map(mainTargetOf)],
    cache: true,
    inputs: [FACTS_BELOW, { externalDependencies: [] }],
    outputs: [],
    metadata: {
      description:
        `Provision the ${step.name} step (${step.summary}): every unit of it, after the steps whose facts it reads, and print its facts. ` +
        'Configuration `rehearse`: offline, against a mock provider.',
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
  const steps = stepsConfiguredIn(join(context.workspaceRoot, root));
  const units = steps.flatMap((step) => step.units);
  /** The workspace files units read besides config (a step's components, say): validate checks them too. */
  const unitInputs = [...new Set(units.flatMap((u) => u.inputs ?? []))];
  const undoable = units.filter((u) => u.kind !== 'render');
  const shared = {
    code: codeInputs(context.workspaceRoot),
    command: commandsFrom(context.workspaceRoot),
    readersOf: (/** @type {string} */ unit) => undoable.filter((u) => u.readsFactsOf.includes(unit)),
    // What runs on a device keeps re-creating cloud records (a running nucleus re-registers its core),
    // so a delivery is undone before the units that run after it.
    deliveriesBefore: (/** @type {UnitDefinition} */ unit) => units.filter((u) => u.kind === 'deliver' && unit.after?.includes(u.name)),
  };

  /** @type {Record<string, TargetConfiguration>} */
  const targets = {
    validate: {
      ...shared.command('validate', {}),
      cache: true,
      inputs: ['{projectRoot}/*.yaml', ...unitInputs, ...shared.code.files, { externalDependencies: [...CONFIG_LIBRARIES, ...shared.code.installed] }],
      outputs: [],
      metadata: { description: "Check every config file against its JSON Schema and the cross-field rules, and the custom components' recipes and artifacts it names." },
    },
  };
  /** @type {Record<string, string[]>} */
  const targetGroups = {};
  for (const step of steps) {
    const ofStep = Object.assign({}, ...step.units.map((unit) => unitTargets(step, unit, shared)));
    for (const command of step.commands ?? []) {
      ofStep[command.name] = {
        executor: `${PLUGIN}:command`,
        options: { command: command.name, mode: 'live' },
        configurations: REHEARSE,
        cache: false,
        metadata: { description: `${command.summary[0].toUpperCase()}${command.summary.slice(1)}. Never cached: it reads AWS each time.` },
      };
    }
    ofStep[step.name] = stepTarget(step, steps, shared.command);
    Object.assign(targets, ofStep);
    targetGroups[step.name] = Object.keys(ofStep);
  }
  targets.provision = {
    ...shared.command('summary', { mode: 'live' }),
    dependsOn: steps.map((step) => step.name),
    cache: true,
    inputs: [FACTS_BELOW, { externalDependencies: [] }],
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
      description:
        'Tear every step down, in reverse dependency order. Local device keys stay unless you pass --removeKeys; ' +
        'Greengrass stays installed on the devices unless you pass --uninstall.',
    },
  };
  targets['iam-policy'] = {
    executor: `${PLUGIN}:iam-policy`,
    dependsOn: units.filter((u) => u.kind === 'stack').map((u) => `${u.name}-synth`),
    cache: false,
    metadata: {
      description:
        'Print the least-privilege IAM policy a person or CI role needs to provision and destroy this config: ' +
        "derived from the synthesized stacks' resource types and the AWS SDK commands Pushbutton's effects and commands send.",
    },
  };
  targetGroups.project = ['validate', 'provision', 'destroy', 'iam-policy'];

  return {
    projects: {
      [root]: {
        name: options?.projectName ?? DEFAULT_PROJECT_NAME,
        root,
        projectType: 'application',
        tags: ['pushbutton'],
        // Where Pushbutton's own packages are projects of this workspace, changing them affects infra.
        implicitDependencies: shared.code.local,
        metadata: { targetGroups },
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
