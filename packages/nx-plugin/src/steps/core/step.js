// @ts-check
/** @type {import('../definition').StepDefinition} */
module.exports = {
  name: 'core',
  summary: 'AWS IoT Greengrass cores on edge devices, and client devices to test them',
  configFile: 'core.yaml',
  settingsKey: 'core',
  units: [
    {
      name: 'core-account',
      kind: 'stack',
      summary: 'account-level Greengrass pieces shared by every core: token exchange role, role alias and its policy, Greengrass service role',
      readsFactsOf: [],
    },
    // Before the effects that also wait for core-account: when Nx has fewer free slots than ready
    // tasks, it starts them in this order, and the devices' stack is on the way to the end of the run.
    {
      name: 'core-devices',
      kind: 'stack',
      summary: 'the thing group, and for every core and client device its thing, certificate (from a local key) and IoT policy',
      readsFactsOf: ['core-account'],
    },
    {
      name: 'core-account-link',
      kind: 'effect',
      summary: "associate the Greengrass service role with the account, and look up the account's IoT data and credential endpoints",
      readsFactsOf: ['core-account'],
      packages: ['@aws-sdk/client-greengrassv2', '@aws-sdk/client-iot'],
    },
    {
      name: 'core-components',
      kind: 'effect',
      summary: "upload the custom components' artifacts to the component bucket and create their component versions from their recipes",
      readsFactsOf: ['core-account'],
      packages: ['@aws-sdk/client-greengrassv2', '@aws-sdk/client-s3'],
      // The recipes and artifacts: a changed artifact runs it again, an unchanged one is a cache hit.
      inputs: ['{workspaceRoot}/components/**/*'],
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
      summary: 'associate client devices with their core, and deploy the configured components and the custom ones to every core',
      readsFactsOf: ['core-devices', 'core-components'],
      // Client device auth needs the Greengrass service role associated first. After the delivery,
      // so a core the delivery (re)installed gets the deployment, and a reinstall is seen in the same run.
      after: ['core-account-link', 'core-deliver'],
      packages: ['@aws-sdk/client-greengrassv2'],
    },
  ],
  commands: [
    {
      name: 'core-status',
      summary: "each core device's status, its deployment's state and its components' states",
      readsFactsOf: ['core-devices', 'core-deploy'],
    },
  ],
};
