import {
  GetCoreDeviceCommand,
  GreengrassV2Client,
  ListCoreDevicesCommand,
  ListDeploymentsCommand,
  ListEffectiveDeploymentsCommand,
  ListInstalledComponentsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-greengrassv2';
import type { Settings } from '@pushbutton/stacks';
import { mockClient } from 'aws-sdk-client-mock';
import coreStatus from '../../../src/steps/core/core-status';
import type { EffectContext } from '../../../src/steps/kinds';
import type { CoreDeployFacts } from '../../../src/steps/core/facts';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const settings: Settings = { project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } } };

function certified(thingName: string) {
  return {
    thing_name: thingName,
    thing_arn: `arn:aws:iot:${REGION}:123456789012:thing/${thingName}`,
    certificate_id: `cert-${thingName}`,
    certificate_arn: `arn:aws:iot:${REGION}:123456789012:cert/cert-${thingName}`,
    certificate_pem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
    policy_name: `${thingName}-policy`,
  };
}

const deployFacts: CoreDeployFacts = {
  deployments: {
    gateway: { deployment_id: 'dep-gateway', deployment_name: 'pushbutton-lab-gateway', spec_hash: 'a'.repeat(64), created: false },
    edge: { deployment_id: 'dep-edge', deployment_name: 'pushbutton-lab-edge', spec_hash: 'b'.repeat(64), created: false },
  },
  client_associations: { gateway: ['lab-sensor'], edge: [] },
};

const context: EffectContext = {
  settings,
  region: REGION,
  mode: 'live',
  workspaceRoot: '/nonexistent-workspace',
  print: () => {},
  facts: {
    'core-devices': {
      thing_group_name: 'lab-cores',
      thing_group_arn: `arn:aws:iot:${REGION}:123456789012:thinggroup/lab-cores`,
      client_thing_group_name: 'lab-clients',
      client_thing_group_arn: `arn:aws:iot:${REGION}:123456789012:thinggroup/lab-clients`,
      core_devices: { gateway: certified('lab-gateway'), edge: certified('lab-edge') },
      client_devices: { sensor: { ...certified('lab-sensor'), core_device: 'gateway' } },
    },
    'core-deploy': deployFacts,
  },
};

const greengrass = mockClient(GreengrassV2Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ greengrassv2: greengrass });

function healthyGateway() {
  greengrass
    .on(GetCoreDeviceCommand, { coreDeviceThingName: 'lab-gateway' })
    .resolves({ coreDeviceThingName: 'lab-gateway', status: 'HEALTHY', lastStatusUpdateTimestamp: new Date('2025-03-01T12:30:00.000Z') });
  greengrass.on(ListEffectiveDeploymentsCommand, { coreDeviceThingName: 'lab-gateway' }).resolves({
    effectiveDeployments: [
      {
        deploymentId: 'someone-elses',
        deploymentName: 'other',
        targetArn: 'arn:other',
        coreDeviceExecutionStatus: 'FAILED',
        creationTimestamp: new Date(),
        modifiedTimestamp: new Date(),
      },
      {
        deploymentId: 'dep-gateway',
        deploymentName: 'pushbutton-lab-gateway',
        targetArn: certified('lab-gateway').thing_arn,
        coreDeviceExecutionStatus: 'SUCCEEDED',
        creationTimestamp: new Date(),
        modifiedTimestamp: new Date(),
      },
    ],
  });
  // Two pages, to show every page is read.
  greengrass
    .on(ListInstalledComponentsCommand, { coreDeviceThingName: 'lab-gateway' })
    .resolvesOnce({
      installedComponents: [{ componentName: 'aws.greengrass.Cli', componentVersion: '2.16.1', lifecycleState: 'RUNNING' }],
      nextToken: 'page-2',
    })
    .resolves({
      installedComponents: [{ componentName: 'aws.greengrass.clientdevices.Auth', componentVersion: '2.5.3', lifecycleState: 'BROKEN' }],
    });
}

function unregisteredEdge() {
  greengrass
    .on(GetCoreDeviceCommand, { coreDeviceThingName: 'lab-edge' })
    .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {}, resourceId: 'lab-edge', resourceType: 'coreDevice' }));
}

const rowsOf = (text: string) => text.split('\n').slice(2);

beforeEach(() => greengrass.reset());

describe('core-status', () => {
  it("shows a healthy core's deployment status and one row per installed component", async () => {
    healthyGateway();
    unregisteredEdge();

    const [first, second] = rowsOf(await coreStatus.run(context, { json: false })).filter((row) => !row.startsWith('lab-edge'));

    expect(first).toMatch(/^lab-gateway\s+HEALTHY\s+2025-03-01T12:30:00Z\s+pushbutton-lab-gateway\s+SUCCEEDED\s+aws\.greengrass\.Cli 2\.16\.1 RUNNING$/);
    expect(second).toMatch(/^\s+aws\.greengrass\.clientdevices\.Auth 2\.5\.3 BROKEN$/);
  });

  it('shows a core that has not connected yet as not registered, without failing', async () => {
    healthyGateway();
    unregisteredEdge();

    const rows = rowsOf(await coreStatus.run(context, { json: false }));

    expect(rows.filter((row) => row.startsWith('lab-edge'))).toEqual([expect.stringMatching(/^lab-edge\s+not registered yet: run its installer\s+-\s+pushbutton-lab-edge/)]);
    expect(greengrass).not.toHaveReceivedCommandWith(ListInstalledComponentsCommand, { coreDeviceThingName: 'lab-edge' });
  });

  it('rehearses by naming the cores it would query, without calling AWS', () => {
    const text = coreStatus.rehearse(context, { json: false });

    expect(greengrass.calls()).toHaveLength(0);
    expect(rowsOf(text)).toEqual([expect.stringMatching(/^lab-gateway\s+would query/), expect.stringMatching(/^lab-edge\s+would query/)]);
  });
});

describe('core-status after destroy (no facts)', () => {
  const afterDestroy: EffectContext = { ...context, facts: {} };
  const thing = (name: string) => `arn:aws:iot:${REGION}:123456789012:thing/${name}`;

  it("names the project's core device records and active deployments AWS still holds, and no one else's", async () => {
    // Shapes of ListCoreDevices' CoreDevice and ListDeployments' Deployment, Greengrass V2 API reference.
    greengrass.on(ListCoreDevicesCommand).resolves({
      coreDevices: [
        { coreDeviceThingName: 'lab-gateway', status: 'UNHEALTHY', lastStatusUpdateTimestamp: new Date('2026-12-01T10:00:00Z') },
        { coreDeviceThingName: 'factory-core', status: 'HEALTHY', lastStatusUpdateTimestamp: new Date('2026-12-01T10:00:00Z') },
      ],
    });
    greengrass.on(ListDeploymentsCommand).resolves({
      deployments: [
        { deploymentId: 'dep-edge', targetArn: thing('lab-edge'), deploymentStatus: 'ACTIVE', isLatestForTarget: true },
        { deploymentId: 'dep-old', targetArn: thing('lab-gateway'), deploymentStatus: 'CANCELED', isLatestForTarget: true },
        { deploymentId: 'dep-factory', targetArn: thing('factory-core'), deploymentStatus: 'ACTIVE', isLatestForTarget: true },
      ],
    });

    await expect(coreStatus.leftovers!(afterDestroy)).resolves.toEqual(['core device lab-gateway (UNHEALTHY)', 'deployment dep-edge to lab-edge (ACTIVE)']);
  });

  it('finds nothing once Greengrass holds nothing of the project', async () => {
    greengrass.on(ListCoreDevicesCommand).resolves({ coreDevices: [{ coreDeviceThingName: 'factory-core', status: 'HEALTHY' }] });
    greengrass.on(ListDeploymentsCommand).resolves({ deployments: [] });

    await expect(coreStatus.leftovers!(afterDestroy)).resolves.toEqual([]);
  });
});
