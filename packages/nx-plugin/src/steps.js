// @ts-check
// The provisioning steps, in the order they provision. Each step is a config file
// and one or more CDKTF stacks; a stack gets a synth and an apply target. Adding a
// step is a stack in @pushbutton/stacks, its config schema, its templates, and an
// entry here.

/**
 * @typedef {object} StackDefinition
 * @property {string} name Stack name; also the prefix of its targets (`<name>-synth`, `<name>-apply`).
 * @property {string} summary What the stack creates, for target descriptions.
 * @property {string[]} readsFactsOf Stacks whose facts this stack's apply reads (as Terraform variables).
 *
 * @typedef {object} StepDefinition
 * @property {string} name
 * @property {string} configFile The step's file in the config folder; the step exists when it does.
 * @property {StackDefinition[]} stacks
 */

/** @type {StepDefinition[]} */
const STEPS = [
  {
    name: 'network',
    configFile: 'network.yaml',
    stacks: [
      {
        name: 'network',
        summary: 'one VPC, one public subnet, internet gateway and routes, and the workers security group',
        readsFactsOf: [],
      },
    ],
  },
];

/** The settings every step reads. */
const PROJECT_CONFIG_FILE = 'project.yaml';

module.exports = { STEPS, PROJECT_CONFIG_FILE };
