// @ts-check
// The provisioning steps, in the order they provision. A step is a config file, a folder
// of templates, and units, each of which becomes Nx targets:
//   stack:   a CDKTF stack in @pushbutton/stacks: `<unit>-synth`, `<unit>-apply`, `<unit>-destroy`
//   effect:  what the AWS provider has no resource for, done with the AWS SDK: `<unit>`, `<unit>-destroy`
//   render:  the step's templates, rendered with config and facts: `<unit>`
//   deliver: bundles packed from the rendered files and handed to their devices: `<unit>`
// Adding a step is its stacks, effects and templates, its config schema, and an entry here.

/**
 * @typedef {'stack' | 'effect' | 'render' | 'deliver'} UnitKind
 *
 * @typedef {object} UnitDefinition
 * @property {string} name Unit name; also its target name, or the prefix of its targets.
 * @property {UnitKind} kind
 * @property {string} summary What the unit does, for target descriptions.
 * @property {string[]} readsFactsOf Units whose facts (outputs) this unit reads; it runs after them.
 * @property {string[]} [after] Units it runs after without reading their facts.
 *
 * @typedef {object} ReportDefinition
 * @property {string} name Target name.
 * @property {string} summary
 * @property {string[]} readsFactsOf
 *
 * @typedef {object} StepDefinition
 * @property {string} name Also the name of its folder under templates/.
 * @property {string} configFile The step's file in the config folder; the step exists when it does.
 * @property {UnitDefinition[]} units In the order they run.
 * @property {ReportDefinition[]} [reports] Uncached targets that report on what the step made.
 */

/** @type {StepDefinition[]} */
const STEPS = [
  {
    name: 'network',
    configFile: 'network.yaml',
    units: [
      {
        name: 'network',
        kind: 'stack',
        summary: 'one VPC, one public subnet, internet gateway and routes, and the workers security group',
        readsFactsOf: [],
      },
    ],
  },
  {
    name: 'core',
    configFile: 'core.yaml',
    units: [
      {
        name: 'core-account',
        kind: 'stack',
        summary: 'account-level Greengrass pieces shared by every core: token exchange role, role alias and its policy, Greengrass service role',
        readsFactsOf: [],
      },
      {
        name: 'core-account-link',
        kind: 'effect',
        summary: "associate the Greengrass service role with the account, and look up the account's IoT data and credential endpoints",
        readsFactsOf: ['core-account'],
      },
      {
        name: 'core-devices',
        kind: 'stack',
        summary: 'the thing group, and for every core and client device its thing, certificate (from a local key) and IoT policy',
        readsFactsOf: ['core-account'],
      },
      {
        name: 'core-render',
        kind: 'render',
        summary: 'per core device the Greengrass config.yaml, install and uninstall scripts and README; per client device its discovery script',
        readsFactsOf: ['core-account', 'core-account-link', 'core-devices'],
      },
      {
        name: 'core-deliver',
        kind: 'deliver',
        summary: 'pack each device bundle with its key (0600); copy and install it over ssh where a host is configured, else print the commands',
        readsFactsOf: [],
        after: ['core-render'],
      },
      {
        name: 'core-deploy',
        kind: 'effect',
        summary: 'associate client devices with their core, and deploy the configured components to every core',
        readsFactsOf: ['core-devices'],
        // Client device auth needs the Greengrass service role associated first. After the delivery,
        // so a core the delivery (re)installed gets the deployment, and a reinstall is seen in the same run.
        after: ['core-account-link', 'core-deliver'],
      },
    ],
    reports: [
      {
        name: 'core-status',
        summary: "each core device's status, its deployment's state and its components' states",
        readsFactsOf: ['core-devices', 'core-deploy'],
      },
    ],
  },
  {
    name: 'workflow',
    configFile: 'workflows.yaml',
    units: [
      {
        name: 'workflow',
        kind: 'stack',
        summary: "the results bucket, the workers' role and instance profile, and their launch template in the network step's subnet",
        readsFactsOf: ['network'],
      },
      {
        name: 'workflow-render',
        kind: 'render',
        summary: "per case, the worker's cloud-init user-data and the script that runs the case",
        readsFactsOf: ['workflow'],
      },
      {
        name: 'workflow-launch',
        kind: 'effect',
        summary: 'start one worker per case that has neither a live instance nor a result, up to the concurrency cap',
        readsFactsOf: ['workflow'],
        after: ['workflow-render'],
      },
    ],
    reports: [
      {
        name: 'status',
        summary: 'the case ledger: case, workflow, parameters, instance, state, started, finished and results, read from EC2 and S3',
        readsFactsOf: ['workflow'],
      },
    ],
  },
];

/** The folder the plugin infers the project from, and the settings every step reads, in it. */
const CONFIG_DIR = 'config';
const PROJECT_CONFIG_FILE = 'project.yaml';
/** The project's name when the plugin's options give none. */
const DEFAULT_PROJECT_NAME = 'infra';

module.exports = { STEPS, CONFIG_DIR, PROJECT_CONFIG_FILE, DEFAULT_PROJECT_NAME };
