import {
  BatchAssociateClientDeviceWithCoreDeviceCommand,
  BatchDisassociateClientDeviceFromCoreDeviceCommand,
  CancelDeploymentCommand,
  CreateDeploymentCommand,
  CreateDeploymentCommandInput,
  DeleteCoreDeviceCommand,
  DeleteDeploymentCommand,
  GetCoreDeviceCommand,
  DeploymentStatus,
  GetDeploymentCommand,
  GreengrassV2Client,
  EffectiveDeploymentExecutionStatus,
  ListClientDevicesAssociatedWithCoreDeviceCommand,
  ListDeploymentsCommand,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-greengrassv2';
import type { Settings } from '@pushbutton/stacks';
import type { CoreSettings } from '@pushbutton/stacks/src/core/settings';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectContext } from '../../../src/steps/kinds';
import greengrassDeployments, { SPEC_TAG } from '../../../src/steps/core/core-deploy';
import type { CoreDeployFacts, CoreDevicesFacts } from '../../../src/steps/core/facts';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const AUTH = 'aws.greengrass.clientdevices.Auth';
const thingArn = (thingName: string) => `arn:aws:iot:${REGION}:123456789012:thing/${thingName}`;
const GATEWAY_ARN = thingArn('lab-gateway');
const EDGE_ARN = thingArn('lab-edge');

function coreSettings(): CoreSettings {
  return {
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    thingGroupName: 'lab-cores',
    clientThingGroupName: 'lab-clients',
    coreDevices: {
      gateway: { name: 'gateway', thingName: 'lab-gateway', sshPort: 22 },
      edge: { name: 'edge', thingName: 'lab-edge', sshPort: 22 },
    },
    clientDevices: {
      sensor: { name: 'sensor', thingName: 'lab-sensor', coreDevice: 'gateway', topic: 'lab/sensors/sensor' },
      camera: { name: 'camera', thingName: 'lab-camera', coreDevice: 'gateway', topic: 'lab/cameras/camera' },
      meter: { name: 'meter', thingName: 'lab-meter', coreDevice: 'edge', topic: 'lab/meters/meter' },
    },
    components: {
      'aws.greengrass.Cli': '2.16.1',
      [AUTH]: '2.5.3',
      'aws.greengrass.clientdevices.mqtt.Moquette': '2.3.7',
      'aws.greengrass.clientdevices.IPDetector': '2.2.3',
    },
    clientDeviceGroup: 'PushbuttonClients',
    logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
  };
}

function settingsWith(change: (core: CoreSettings) => void = () => {}): Settings {
  const core = coreSettings();
  change(core);
  return { project: { name: 'lab', region: REGION, tags: { Owner: 'lab-team' }, state: { backend: 'local' } }, core };
}

function certified(thingName: string) {
  return {
    thing_name: thingName,
    thing_arn: thingArn(thingName),
    certificate_id: `cert-${thingName}`,
    certificate_arn: `arn:aws:iot:${REGION}:123456789012:cert/cert-${thingName}`,
    certificate_pem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
    policy_name: `${thingName}-policy`,
  };
}

/** The core-devices facts of the full fixture config; a config that drops a client still has all the things until core-devices applies. */
const coreDevicesFacts: CoreDevicesFacts = {
  thing_group_name: 'lab-cores',
  thing_group_arn: `arn:aws:iot:${REGION}:123456789012:thinggroup/lab-cores`,
  client_thing_group_name: 'lab-clients',
  client_thing_group_arn: `arn:aws:iot:${REGION}:123456789012:thinggroup/lab-clients`,
  core_devices: { gateway: certified('lab-gateway'), edge: certified('lab-edge') },
  client_devices: {
    sensor: { ...certified('lab-sensor'), core_device: 'gateway' },
    camera: { ...certified('lab-camera'), core_device: 'gateway' },
    meter: { ...certified('lab-meter'), core_device: 'edge' },
  },
};

const greengrass = mockClient(GreengrassV2Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ greengrassv2: greengrass });
let printed: string[];

function context(settings = settingsWith()): EffectContext {
  return {
    settings,
    region: REGION,
    mode: 'live',
    workspaceRoot: '/nonexistent-workspace',
    print: (line) => printed.push(line),
    facts: {
      'core-devices': coreDevicesFacts,
      'core-account-link': {
        iot_data_endpoint: 'a1b2-ats.iot.eu-central-1.amazonaws.com',
        iot_credential_endpoint: 'c1d2.credentials.iot.eu-central-1.amazonaws.com',
        service_role_arn: 'arn:aws:iam::123456789012:role/lab-greengrass-service-role',
        service_role_associated_by_pushbutton: true,
      },
    },
  };
}

const MUTATING = [
  CreateDeploymentCommand,
  BatchAssociateClientDeviceWithCoreDeviceCommand,
  BatchDisassociateClientDeviceFromCoreDeviceCommand,
  CancelDeploymentCommand,
  DeleteDeploymentCommand,
  DeleteCoreDeviceCommand,
];
const mutatingCallCount = () => greengrass.calls().filter((call) => MUTATING.some((command) => call.args[0] instanceof command)).length;

const createdDeployments = () => greengrass.commandCalls(CreateDeploymentCommand).map((call) => call.args[0].input);
const createdFor = (targetArn: string) => createdDeployments().filter((d) => d.targetArn === targetArn);

interface DeviceGroups {
  deviceGroups: {
    definitions: Record<string, { selectionRule: string; policyName: string }>;
    policies: Record<string, Record<string, { operations: string[]; resources: string[] }>>;
  };
}
const authMerge = (deployment: CreateDeploymentCommandInput) => JSON.parse(deployment.components![AUTH].configurationUpdate!.merge!) as DeviceGroups;

/** An account where nothing was deployed and no client is associated; created deployments get ids from their names. */
function freshAccount() {
  greengrass.on(ListClientDevicesAssociatedWithCoreDeviceCommand).resolves({ associatedClientDevices: [] });
  greengrass.on(BatchAssociateClientDeviceWithCoreDeviceCommand).resolves({ errorEntries: [] });
  greengrass.on(ListDeploymentsCommand).resolves({ deployments: [] });
  greengrass.on(CreateDeploymentCommand).callsFake((input: CreateDeploymentCommandInput) => ({ deploymentId: `id-${input.deploymentName}` }));
}

/**
 * What a core reports of a deployment (InstalledComponent and EffectiveDeployment in the Greengrass V2
 * API reference): it ran the deployment to `execution`, and runs `installed` as root components.
 */
function coreReports(coreDeviceThingName: string, deployment: CreateDeploymentCommandInput, execution: EffectiveDeploymentExecutionStatus, installed: Record<string, string>) {
  const at = new Date('2026-12-01T10:00:00Z');
  greengrass.on(ListInstalledComponentsCommand, { coreDeviceThingName, topologyFilter: 'ROOT' }).resolves({
    installedComponents: Object.entries(installed).map(([componentName, componentVersion]) => ({
      componentName,
      componentVersion,
      lifecycleState: 'RUNNING',
      isRoot: true,
      lastStatusChangeTimestamp: at,
    })),
  });
  greengrass.on(ListEffectiveDeploymentsCommand, { coreDeviceThingName }).resolves({
    effectiveDeployments: [
      {
        deploymentId: `id-${deployment.deploymentName}`,
        deploymentName: deployment.deploymentName,
        targetArn: deployment.targetArn,
        coreDeviceExecutionStatus: execution,
        creationTimestamp: at,
        modifiedTimestamp: at,
      },
    ],
  });
}

const versionsOf = (deployment: CreateDeploymentCommandInput) =>
  Object.fromEntries(Object.entries(deployment.components ?? {}).map(([name, spec]) => [name, spec.componentVersion!]));

/**
 * What AWS holds after the given deployments were created and the given clients associated; each core
 * applied its deployment and runs its components.
 */
function accountAfter(deployments: CreateDeploymentCommandInput[], associated: Record<string, string[]>, status: DeploymentStatus = 'COMPLETED') {
  greengrass.reset();
  for (const deployment of deployments) {
    const thingName = deployment.targetArn!.split('/').pop()!;
    coreReports(thingName, deployment, 'SUCCEEDED', { 'aws.greengrass.Nucleus': '2.16.1', ...versionsOf(deployment) });
  }
  for (const [coreDeviceThingName, things] of Object.entries(associated)) {
    greengrass
      .on(ListClientDevicesAssociatedWithCoreDeviceCommand, { coreDeviceThingName })
      .resolves({ associatedClientDevices: things.map((thingName) => ({ thingName, associationTimestamp: new Date() })) });
  }
  greengrass.on(ListDeploymentsCommand).resolves({ deployments: [] });
  for (const { targetArn, deploymentName, components, tags } of deployments) {
    const deploymentId = `id-${deploymentName}`;
    greengrass
      .on(ListDeploymentsCommand, { targetArn, historyFilter: 'LATEST_ONLY' })
      .resolves({ deployments: [{ deploymentId, targetArn, deploymentName, deploymentStatus: status, isLatestForTarget: true }] });
    greengrass.on(GetDeploymentCommand, { deploymentId }).resolves({ deploymentId, targetArn, deploymentName, components, tags, deploymentStatus: status });
  }
  greengrass.on(CreateDeploymentCommand).callsFake((input: CreateDeploymentCommandInput) => ({ deploymentId: `id-${input.deploymentName}-2` }));
  greengrass.on(BatchAssociateClientDeviceWithCoreDeviceCommand).resolves({ errorEntries: [] });
  greengrass.on(BatchDisassociateClientDeviceFromCoreDeviceCommand).resolves({ errorEntries: [] });
}

const ALL_ASSOCIATED = { 'lab-gateway': ['lab-camera', 'lab-sensor'], 'lab-edge': ['lab-meter'] };

/** Applies the fixture config to a fresh account, then makes the mocks hold what that apply made. */
async function firstRunThenAccountAfter(status: DeploymentStatus = 'COMPLETED') {
  freshAccount();
  await greengrassDeployments.apply(context());
  accountAfter(createdDeployments(), ALL_ASSOCIATED, status);
}

beforeEach(() => {
  greengrass.reset();
  printed = [];
});

describe('core-deploy first run', () => {
  it('creates one deployment per core with the configured components and versions', async () => {
    freshAccount();

    const result = await greengrassDeployments.apply(context());

    expect(createdDeployments()).toHaveLength(2);
    for (const [targetArn, thingName] of [[GATEWAY_ARN, 'lab-gateway'], [EDGE_ARN, 'lab-edge']]) {
      const [deployment] = createdFor(targetArn);
      expect(deployment.deploymentName).toBe(`pushbutton-${thingName}`);
      const versions = Object.fromEntries(Object.entries(deployment.components!).map(([name, spec]) => [name, spec.componentVersion]));
      expect(versions).toEqual(coreSettings().components);
      expect(deployment.tags).toMatchObject({ Project: 'lab', Owner: 'lab-team', [SPEC_TAG]: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    const facts = result.facts as CoreDeployFacts;
    expect(facts.deployments.gateway).toEqual({
      deployment_id: 'id-pushbutton-lab-gateway',
      deployment_name: 'pushbutton-lab-gateway',
      spec_hash: createdFor(GATEWAY_ARN)[0].tags![SPEC_TAG],
      created: true,
    });
    expect(result.pending).toEqual([]);
  });

  it("configures the log manager, when logs are uploaded, to upload the nucleus's and every component's logs at the set level and interval", async () => {
    freshAccount();
    const settings = settingsWith((core) => {
      core.components['aws.greengrass.LogManager'] = '2.3.5';
      core.logs = { upload: true, uploadIntervalSeconds: 120, minimumLevel: 'WARN' };
    });

    await greengrassDeployments.apply(context(settings));

    const [deployment] = createdFor(GATEWAY_ARN);
    const logManager = deployment.components!['aws.greengrass.LogManager'];
    expect(logManager.componentVersion).toBe('2.3.5');
    // The keys the log manager documents: https://docs.aws.amazon.com/greengrass/v2/developerguide/log-manager-component.html
    expect(JSON.parse(logManager.configurationUpdate!.merge!)).toEqual({
      logsUploaderConfiguration: {
        systemLogsConfiguration: { uploadToCloudWatch: 'true', minimumLogLevel: 'WARN' },
        componentLogsConfigurationMap: Object.fromEntries(Object.keys(coreSettings().components).map((name) => [name, { minimumLogLevel: 'WARN' }])),
      },
      periodicUploadIntervalSec: 120,
    });
  });

  it("gives client device auth a device group of exactly that core's clients and topics", async () => {
    freshAccount();

    await greengrassDeployments.apply(context());

    const gateway = authMerge(createdFor(GATEWAY_ARN)[0]).deviceGroups;
    expect(gateway.definitions).toEqual({
      PushbuttonClients: { selectionRule: 'thingName: lab-camera OR thingName: lab-sensor', policyName: 'PushbuttonClientsPolicy' },
    });
    const gatewayPolicy = gateway.policies.PushbuttonClientsPolicy;
    expect(gatewayPolicy.AllowConnect.operations).toEqual(['mqtt:connect']);
    expect(gatewayPolicy.AllowClientTopics.operations).toEqual(['mqtt:publish', 'mqtt:subscribe']);
    expect(gatewayPolicy.AllowClientTopics.resources).toEqual([
      'mqtt:topic:lab/cameras/camera',
      'mqtt:topicfilter:lab/cameras/camera',
      'mqtt:topic:lab/sensors/sensor',
      'mqtt:topicfilter:lab/sensors/sensor',
    ]);
    const edge = authMerge(createdFor(EDGE_ARN)[0]).deviceGroups;
    expect(edge.definitions.PushbuttonClients.selectionRule).toBe('thingName: lab-meter');
    expect(edge.policies.PushbuttonClientsPolicy.AllowClientTopics.resources).toEqual(['mqtt:topic:lab/meters/meter', 'mqtt:topicfilter:lab/meters/meter']);
  });

  it('associates each client device with its core once', async () => {
    freshAccount();

    const result = await greengrassDeployments.apply(context());

    const associations = greengrass.commandCalls(BatchAssociateClientDeviceWithCoreDeviceCommand).map((call) => call.args[0].input);
    expect(associations).toEqual([
      { coreDeviceThingName: 'lab-edge', entries: [{ thingName: 'lab-meter' }] },
      { coreDeviceThingName: 'lab-gateway', entries: [{ thingName: 'lab-camera' }, { thingName: 'lab-sensor' }] },
    ]);
    expect((result.facts as CoreDeployFacts).client_associations).toEqual({ gateway: ['lab-camera', 'lab-sensor'], edge: ['lab-meter'] });
  });

  it('fails, naming the client, when Greengrass refuses an association', async () => {
    freshAccount();
    greengrass
      .on(BatchAssociateClientDeviceWithCoreDeviceCommand, { coreDeviceThingName: 'lab-edge' })
      .resolves({ errorEntries: [{ thingName: 'lab-meter', code: 'InvalidRequest', message: 'thing not found' }] });

    await expect(greengrassDeployments.apply(context())).rejects.toThrow(/lab-meter: InvalidRequest thing not found/);
  });
});

describe('core-deploy re-run', () => {
  it('changes nothing when the config is unchanged', async () => {
    await firstRunThenAccountAfter();

    const result = await greengrassDeployments.apply(context());

    expect(mutatingCallCount()).toBe(0);
    const facts = result.facts as CoreDeployFacts;
    expect(facts.deployments.gateway).toMatchObject({ deployment_id: 'id-pushbutton-lab-gateway', created: false });
    expect(facts.deployments.edge).toMatchObject({ deployment_id: 'id-pushbutton-lab-edge', created: false });
  });

  it('changes nothing while the unchanged deployment is still in progress', async () => {
    await firstRunThenAccountAfter('ACTIVE');

    await greengrassDeployments.apply(context());

    expect(mutatingCallCount()).toBe(0);
  });

  it('sends the deployment again, as a new revision, to a core that was reinstalled and lost its components', async () => {
    await firstRunThenAccountAfter();
    // The nucleus installed again with --init-config: it runs only itself, and has seen the deployment.
    const deployment = { targetArn: GATEWAY_ARN, deploymentName: 'pushbutton-lab-gateway' };
    coreReports('lab-gateway', deployment, 'SUCCEEDED', { 'aws.greengrass.Nucleus': '2.16.1' });

    const result = await greengrassDeployments.apply(context());

    expect(createdDeployments().map((d) => d.targetArn)).toEqual([GATEWAY_ARN]);
    expect(createdFor(GATEWAY_ARN)[0].components![AUTH].componentVersion).toBe('2.5.3');
    expect((result.facts as CoreDeployFacts).deployments.gateway).toMatchObject({ created: true });
    expect(printed.join('\n')).toContain('Core device lab-gateway applied deployment id-pushbutton-lab-gateway (SUCCEEDED) but no longer runs aws.greengrass.Cli 2.16.1');
  });

  it('does not send it again while the core has not applied it yet, nor to a core not registered', async () => {
    await firstRunThenAccountAfter();
    coreReports('lab-gateway', { targetArn: GATEWAY_ARN, deploymentName: 'pushbutton-lab-gateway' }, 'IN_PROGRESS', {});
    greengrass
      .on(ListInstalledComponentsCommand, { coreDeviceThingName: 'lab-edge', topologyFilter: 'ROOT' })
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {}, resourceId: 'lab-edge', resourceType: 'coreDevice' }));

    await greengrassDeployments.apply(context());

    expect(mutatingCallCount()).toBe(0);
  });

  it('deploys again when the latest deployment of the same spec failed', async () => {
    await firstRunThenAccountAfter('FAILED');

    await greengrassDeployments.apply(context());

    expect(createdDeployments()).toHaveLength(2);
  });

  it('creates one new deployment per core with a changed component version', async () => {
    await firstRunThenAccountAfter();

    const result = await greengrassDeployments.apply(context(settingsWith((core) => (core.components['aws.greengrass.Cli'] = '2.17.0'))));

    expect(createdDeployments()).toHaveLength(2);
    for (const targetArn of [GATEWAY_ARN, EDGE_ARN]) {
      expect(createdFor(targetArn)[0].components!['aws.greengrass.Cli']).toEqual({ componentVersion: '2.17.0' });
    }
    expect(greengrass).not.toHaveReceivedCommand(BatchAssociateClientDeviceWithCoreDeviceCommand);
    expect((result.facts as CoreDeployFacts).deployments.gateway).toMatchObject({ deployment_id: 'id-pushbutton-lab-gateway-2', created: true });
  });

  it("redeploys only the core whose client's topic changed", async () => {
    await firstRunThenAccountAfter();

    await greengrassDeployments.apply(context(settingsWith((core) => (core.clientDevices.meter.topic = 'lab/meters/meter-v2'))));

    expect(createdDeployments()).toHaveLength(1);
    expect(authMerge(createdFor(EDGE_ARN)[0]).deviceGroups.policies.PushbuttonClientsPolicy.AllowClientTopics.resources).toEqual([
      'mqtt:topic:lab/meters/meter-v2',
      'mqtt:topicfilter:lab/meters/meter-v2',
    ]);
  });

  it('disassociates a removed client of ours and leaves a foreign thing associated', async () => {
    await firstRunThenAccountAfter();
    greengrass
      .on(ListClientDevicesAssociatedWithCoreDeviceCommand, { coreDeviceThingName: 'lab-edge' })
      .resolvesOnce({ associatedClientDevices: [{ thingName: 'lab-meter' }], nextToken: 'page-2' })
      .resolves({ associatedClientDevices: [{ thingName: 'factory-robot' }] });

    const result = await greengrassDeployments.apply(context(settingsWith((core) => delete core.clientDevices.meter)));

    expect(greengrass.commandCalls(BatchDisassociateClientDeviceFromCoreDeviceCommand).map((call) => call.args[0].input)).toEqual([
      { coreDeviceThingName: 'lab-edge', entries: [{ thingName: 'lab-meter' }] },
    ]);
    expect((result.facts as CoreDeployFacts).client_associations.edge).toEqual(['factory-robot']);
    // The edge core has no clients left: its device group is reset, and no merge grants anyone access.
    const [edge] = createdFor(EDGE_ARN);
    expect(edge.components![AUTH].configurationUpdate).toEqual({ reset: ['/deviceGroups'] });
    expect(createdFor(GATEWAY_ARN)).toHaveLength(0);
  });
});

describe('core-deploy with a core device that has not connected yet', () => {
  it('deploys to it, and reports its client association as pending instead of failing', async () => {
    freshAccount();
    greengrass
      .on(ListClientDevicesAssociatedWithCoreDeviceCommand, { coreDeviceThingName: 'lab-edge' })
      .rejects(new ResourceNotFoundException({ message: 'Core device not found', $metadata: {}, resourceId: 'lab-edge', resourceType: 'coreDevice' }));

    const result = await greengrassDeployments.apply(context());

    expect(result.pending).toEqual([
      'core device lab-edge has not connected to Greengrass yet: its client devices will be associated on the next provision after its installer runs',
    ]);
    expect(createdFor(EDGE_ARN)).toHaveLength(1);
    expect((result.facts as CoreDeployFacts).client_associations).toEqual({ gateway: ['lab-camera', 'lab-sensor'], edge: [] });
  });
});

describe('core-deploy destroy', () => {
  it('cancels the active deployment, deletes our deployments and disassociates our clients', async () => {
    freshAccount();
    await greengrassDeployments.apply(context());
    const [gateway, edge] = [createdFor(GATEWAY_ARN)[0], createdFor(EDGE_ARN)[0]];
    accountAfter([edge], ALL_ASSOCIATED, 'COMPLETED');
    greengrass.on(ListDeploymentsCommand, { targetArn: GATEWAY_ARN }).resolves({ deployments: [{ deploymentId: 'id-pushbutton-lab-gateway' }] });
    greengrass.on(GetDeploymentCommand, { deploymentId: 'id-pushbutton-lab-gateway' }).resolves({ deploymentId: 'id-pushbutton-lab-gateway', tags: gateway.tags, deploymentStatus: 'ACTIVE' });

    // Both cores connected once: Greengrass keeps a record of each (GetCoreDevice in the Greengrass V2 API reference).
    for (const coreDeviceThingName of ['lab-gateway', 'lab-edge']) {
      greengrass.on(GetCoreDeviceCommand, { coreDeviceThingName }).resolves({ coreDeviceThingName, status: 'HEALTHY', coreVersion: '2.16.1' });
    }

    await greengrassDeployments.destroy(context());

    expect(greengrass.commandCalls(DeleteCoreDeviceCommand).map((call) => call.args[0].input)).toEqual([
      { coreDeviceThingName: 'lab-gateway' },
      { coreDeviceThingName: 'lab-edge' },
    ]);
    expect(greengrass).toHaveReceivedCommandTimes(CancelDeploymentCommand, 1);
    expect(greengrass).toHaveReceivedCommandWith(CancelDeploymentCommand, { deploymentId: 'id-pushbutton-lab-gateway' });
    expect(greengrass.commandCalls(DeleteDeploymentCommand).map((call) => call.args[0].input.deploymentId).sort()).toEqual([
      'id-pushbutton-lab-edge',
      'id-pushbutton-lab-gateway',
    ]);
    expect(greengrass.commandCalls(BatchDisassociateClientDeviceFromCoreDeviceCommand).map((call) => call.args[0].input)).toEqual([
      { coreDeviceThingName: 'lab-gateway', entries: [{ thingName: 'lab-camera' }, { thingName: 'lab-sensor' }] },
      { coreDeviceThingName: 'lab-edge', entries: [{ thingName: 'lab-meter' }] },
    ]);
  });

  it('changes nothing the second time, and leaves a deployment Pushbutton did not make', async () => {
    accountAfter([], { 'lab-gateway': ['factory-robot'], 'lab-edge': [] });
    greengrass.on(ListDeploymentsCommand, { targetArn: EDGE_ARN }).resolves({ deployments: [{ deploymentId: 'someone-elses' }] });
    greengrass.on(GetDeploymentCommand, { deploymentId: 'someone-elses' }).resolves({ deploymentId: 'someone-elses', tags: {}, deploymentStatus: 'ACTIVE' });
    greengrass.on(GetCoreDeviceCommand).rejects(new ResourceNotFoundException({ message: 'Core device not found', $metadata: {}, resourceId: 'lab-edge', resourceType: 'coreDevice' }));

    await greengrassDeployments.destroy(context());

    expect(mutatingCallCount()).toBe(0);
  });

  it('ignores a core device and a deployment that are already gone', async () => {
    const notFound = new ResourceNotFoundException({ message: 'gone', $metadata: {}, resourceId: 'x', resourceType: 'x' });
    greengrass.on(ListClientDevicesAssociatedWithCoreDeviceCommand).rejects(notFound);
    greengrass.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'ours' }] });
    greengrass.on(GetDeploymentCommand).resolves({ deploymentId: 'ours', tags: { [SPEC_TAG]: 'abc' }, deploymentStatus: 'COMPLETED' });
    greengrass.on(DeleteDeploymentCommand).rejects(notFound);
    // Deleted by someone else between the look and the delete.
    greengrass.on(GetCoreDeviceCommand).resolves({ coreDeviceThingName: 'lab-gateway', status: 'UNHEALTHY' });
    greengrass.on(DeleteCoreDeviceCommand).rejects(notFound);

    await expect(greengrassDeployments.destroy(context())).resolves.toBeUndefined();
  });
});

describe('core-deploy rehearse', () => {
  it('calls no AWS API and returns facts of the same shape as apply', async () => {
    const result = greengrassDeployments.rehearse(context());

    expect(greengrass.calls()).toHaveLength(0);
    const facts = result.facts as CoreDeployFacts;
    expect(facts.client_associations).toEqual({ edge: ['lab-meter'], gateway: ['lab-camera', 'lab-sensor'] });
    for (const name of ['gateway', 'edge']) {
      const { deployment_id, spec_hash } = facts.deployments[name];
      expect(spec_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(deployment_id).toBe(`rehearsal-${spec_hash.slice(0, 12)}`);
    }
    expect(printed.join('\n')).toContain('lab-gateway: would deploy aws.greengrass.Cli 2.16.1, aws.greengrass.clientdevices.Auth 2.5.3');
    expect(printed.join('\n')).toContain('lab-gateway: would associate client devices lab-camera, lab-sensor');

    // The rehearsal hashes the spec a live apply would deploy.
    freshAccount();
    const applied = (await greengrassDeployments.apply(context())).facts as CoreDeployFacts;
    expect(applied.deployments.gateway.spec_hash).toBe(facts.deployments.gateway.spec_hash);
  });
});
