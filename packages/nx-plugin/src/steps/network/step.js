// @ts-check
/** @type {import('../definition').StepDefinition} */
module.exports = {
  name: 'network',
  summary: 'the network workers run in',
  configFile: 'network.yaml',
  settingsKey: 'network',
  units: [
    {
      name: 'network',
      kind: 'stack',
      summary: 'one VPC, one public subnet, internet gateway and routes, and the workers security group',
      readsFactsOf: [],
    },
  ],
};
