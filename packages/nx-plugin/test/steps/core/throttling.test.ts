// Throttling is retried by the SDK's retry middleware, which aws-sdk-client-mock bypasses (it
// stubs `send`). So this suite runs the real GreengrassV2Client, as the effect makes it, with
// its HTTP requests intercepted by nock: Greengrass throttles CreateDeployment a few times.
import type { Settings } from '@pushbutton/stacks';
import nock from 'nock';
import greengrassDeployments from '../../../src/steps/core/core-deploy';
import type { CoreDeployFacts } from '../../../src/steps/core/facts';
import { interceptAwsWithNock } from '../../nock-aws';

const REGION = 'eu-central-1';
const GREENGRASS = `https://greengrass.${REGION}.amazonaws.com`;
const THING_ARN = `arn:aws:iot:${REGION}:123456789012:thing/lab-gateway`;

const settings: Settings = {
  project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } },
  core: {
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    thingGroupName: 'lab-cores',
    clientThingGroupName: 'lab-clients',
    coreDevices: { gateway: { name: 'gateway', thingName: 'lab-gateway', sshPort: 22 } },
    clientDevices: {},
    components: { 'aws.greengrass.Cli': '2.16.1' },
    clientDeviceGroup: 'PushbuttonClients',
    logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
  },
};

interceptAwsWithNock();

/** Greengrass with no client devices and no deployments, throttling the first `throttled` CreateDeployment requests. */
function greengrassThrottling(throttled: number): { clientToken?: string; targetArn?: string }[] {
  const created: { clientToken?: string; targetArn?: string }[] = [];
  nock(GREENGRASS)
    .get('/greengrass/v2/coreDevices/lab-gateway/associatedClientDevices')
    .query(true)
    .reply(200, { associatedClientDevices: [] })
    .get('/greengrass/v2/deployments')
    .query(true)
    .reply(200, { deployments: [] });
  nock(GREENGRASS)
    .post('/greengrass/v2/deployments', (body) => Boolean(created.push(body)))
    .times(throttled)
    .reply(429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'ThrottlingException' })
    .post('/greengrass/v2/deployments', (body) => Boolean(created.push(body)))
    .reply(201, { deploymentId: 'deployment-1' });
  return created;
}

function applyToOneCore() {
  return greengrassDeployments.apply({
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
        core_devices: { gateway: { thing_name: 'lab-gateway', thing_arn: THING_ARN } },
        client_devices: {},
      },
    },
  });
}

it('creates exactly one deployment when the first CreateDeployment is throttled', async () => {
  const created = greengrassThrottling(1);

  const result = await applyToOneCore();

  expect((result.facts as CoreDeployFacts).deployments.gateway).toMatchObject({ deployment_id: 'deployment-1', created: true });
  // The retry resends the same request: with the same idempotency token, Greengrass cannot make two deployments of it.
  expect(created).toHaveLength(2);
  expect(created[1]).toEqual(created[0]);
  expect(created[0].clientToken).toEqual(expect.any(String));
  expect(created[0].targetArn).toBe(THING_ARN);
  expect(nock.isDone()).toBe(true);
});

it('rides out four throttled CreateDeployment requests in a row (the SDK default of three attempts would fail)', async () => {
  const created = greengrassThrottling(4);

  const result = await applyToOneCore();

  expect((result.facts as CoreDeployFacts).deployments.gateway).toMatchObject({ deployment_id: 'deployment-1', created: true });
  expect(created).toHaveLength(5);
  expect(new Set(created.map((request) => request.clientToken)).size).toBe(1);
});
