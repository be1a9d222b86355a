import {
  AssociateServiceRoleToAccountCommand,
  DisassociateServiceRoleFromAccountCommand,
  GetServiceRoleForAccountCommand,
  GreengrassV2Client,
} from '@aws-sdk/client-greengrassv2';
import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import type { Settings } from '@pushbutton/stacks';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectContext } from '../../../src/steps/kinds';
import greengrassAccount from '../../../src/steps/core/core-account-link';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const OUR_ROLE = 'arn:aws:iam::123456789012:role/lab-greengrass-service-role';
const FOREIGN_ROLE = 'arn:aws:iam::123456789012:role/other-project-greengrass-role';
const DATA_ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-central-1.amazonaws.com';
const CREDENTIAL_ENDPOINT = 'c1d2e3f4g5h6i7.credentials.iot.eu-central-1.amazonaws.com';

const settings: Settings = {
  project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } },
};

const greengrass = mockClient(GreengrassV2Client);
const iot = mockClient(IoTClient);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ greengrassv2: greengrass, iot });
let printed: string[];

function context(): EffectContext {
  return {
    settings,
    region: REGION,
    mode: 'live',
    workspaceRoot: '/nonexistent-workspace',
    print: (line) => printed.push(line),
    facts: {
      'core-account': {
        token_exchange_role_arn: 'arn:aws:iam::123456789012:role/lab-gg-token-exchange',
        role_alias_name: 'lab-gg-token-exchange-alias',
        role_alias_arn: 'arn:aws:iot:eu-central-1:123456789012:rolealias/lab-gg-token-exchange-alias',
        role_alias_policy_name: 'lab-gg-role-alias',
        service_role_arn: OUR_ROLE,
        service_role_name: 'lab-greengrass-service-role',
      },
    },
  };
}

const associatedRole = (roleArn: string) => greengrass.on(GetServiceRoleForAccountCommand).resolves({ roleArn, associatedAt: '2025-01-01T00:00:00Z' });
const mutatingCalls = () => [
  ...greengrass.commandCalls(AssociateServiceRoleToAccountCommand),
  ...greengrass.commandCalls(DisassociateServiceRoleFromAccountCommand),
];

beforeEach(() => {
  greengrass.reset();
  iot.reset();
  printed = [];
  iot.on(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' }).resolves({ endpointAddress: DATA_ENDPOINT });
  iot.on(DescribeEndpointCommand, { endpointType: 'iot:CredentialProvider' }).resolves({ endpointAddress: CREDENTIAL_ENDPOINT });
});

describe('core-account-link apply', () => {
  it('associates our service role once when none is associated, and returns the endpoints', async () => {
    greengrass.on(GetServiceRoleForAccountCommand).resolves({});

    const result = await greengrassAccount.apply(context());

    const associations = greengrass.commandCalls(AssociateServiceRoleToAccountCommand);
    expect(associations).toHaveLength(1);
    expect(associations[0].args[0].input).toEqual({ roleArn: OUR_ROLE });
    expect(result).toEqual({
      facts: {
        iot_data_endpoint: DATA_ENDPOINT,
        iot_credential_endpoint: CREDENTIAL_ENDPOINT,
        service_role_arn: OUR_ROLE,
        service_role_associated_by_pushbutton: true,
      },
      pending: [],
    });
  });

  it('changes nothing on a re-run when our role is already associated', async () => {
    associatedRole(OUR_ROLE);

    const result = await greengrassAccount.apply(context());

    expect(mutatingCalls()).toHaveLength(0);
    expect(result.facts).toMatchObject({ service_role_arn: OUR_ROLE, service_role_associated_by_pushbutton: true });
  });

  it("leaves another project's service role associated and says so", async () => {
    associatedRole(FOREIGN_ROLE);

    const result = await greengrassAccount.apply(context());

    expect(mutatingCalls()).toHaveLength(0);
    expect(result.facts).toMatchObject({ service_role_arn: FOREIGN_ROLE, service_role_associated_by_pushbutton: false });
    expect(result.pending).toEqual([]);
    expect(printed.join('\n')).toContain(`Another Greengrass service role is associated with the account in ${REGION}: ${FOREIGN_ROLE}`);
  });
});

describe('core-account-link destroy', () => {
  it('disassociates our service role exactly once', async () => {
    associatedRole(OUR_ROLE);

    await greengrassAccount.destroy(context());

    expect(greengrass).toHaveReceivedCommandTimes(DisassociateServiceRoleFromAccountCommand, 1);
    expect(greengrass).not.toHaveReceivedCommand(AssociateServiceRoleToAccountCommand);
  });

  it("does nothing to another project's service role", async () => {
    associatedRole(FOREIGN_ROLE);

    await greengrassAccount.destroy(context());

    expect(mutatingCalls()).toHaveLength(0);
  });

  it('does nothing when no service role is associated (a second destroy)', async () => {
    greengrass.on(GetServiceRoleForAccountCommand).resolves({});

    await greengrassAccount.destroy(context());

    expect(mutatingCalls()).toHaveLength(0);
  });
});

describe('core-account-link rehearse', () => {
  it('calls no AWS API and returns mock endpoints of the region', () => {
    const result = greengrassAccount.rehearse(context());

    expect(greengrass.calls()).toHaveLength(0);
    expect(iot.calls()).toHaveLength(0);
    expect(result).toEqual({
      facts: {
        iot_data_endpoint: 'rehearsal-0000000000-ats.iot.eu-central-1.amazonaws.com',
        iot_credential_endpoint: 'rehearsal-0000000000.credentials.iot.eu-central-1.amazonaws.com',
        service_role_arn: OUR_ROLE,
        service_role_associated_by_pushbutton: true,
      },
      pending: [],
    });
    expect(printed.join('\n')).toContain(`Would associate Greengrass service role ${OUR_ROLE}`);
  });
});
