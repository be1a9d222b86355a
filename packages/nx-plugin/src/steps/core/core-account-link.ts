// core-account-link: what the account needs before any core device connects, done with the
// SDK because the AWS provider has no resource for it: the Greengrass service role associated
// with the account (account-wide, one per region), and the account's IoT endpoints.
import type { GreengrassV2Client, GreengrassV2ServiceException } from '@aws-sdk/client-greengrassv2';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { Effect, EffectContext } from '../kinds';
import type { AccountLinkFacts, CoreAccountFacts } from './facts';
import { greengrassClient, greengrassSdk, MAX_ATTEMPTS } from './greengrass-client';

const iotSdk = () => import('@aws-sdk/client-iot');

type EndpointType = 'iot:Data-ATS' | 'iot:CredentialProvider';

const coreAccountFacts = (ctx: EffectContext) => ctx.facts['core-account'] as CoreAccountFacts;

/**
 * How Greengrass answers GetServiceRoleForAccount in an account that never associated a role: an
 * error whose body has a message and no error code, so the SDK names it by its HTTP status. The
 * operation documents only a 500 (botocore's greengrassv2 model; the V1 API reference's GeneralError);
 * AWS's own samples recognize the answer by this message.
 */
const NO_SERVICE_ROLE = /You need to attach an IAM role to this AWS account/;

function isNoServiceRoleAnswer(error: unknown, ServiceException: typeof GreengrassV2ServiceException): boolean {
  if (!(error instanceof ServiceException)) return false;
  const status = error.$metadata.httpStatusCode ?? 0;
  return (status === 404 || status >= 500) && NO_SERVICE_ROLE.test(error.message);
}

/** The role associated with Greengrass in this account and region, if any. */
async function associatedServiceRole(client: GreengrassV2Client): Promise<string | undefined> {
  const { GetServiceRoleForAccountCommand, GreengrassV2ServiceException } = await greengrassSdk();
  try {
    const { roleArn } = await client.send(new GetServiceRoleForAccountCommand({}));
    return roleArn || undefined;
  } catch (error) {
    if (isNoServiceRoleAnswer(error, GreengrassV2ServiceException)) return undefined;
    throw error;
  }
}

/** Associates our role unless one is already associated; returns the role associated afterwards. */
async function linkServiceRole(client: GreengrassV2Client, ctx: EffectContext, ours: string): Promise<string> {
  const associated = await associatedServiceRole(client);
  if (associated === ours) {
    ctx.print(`Greengrass service role ${ours} is already associated with the account in ${ctx.region}.`);
    return ours;
  }
  if (associated) {
    ctx.print(
      `Another Greengrass service role is associated with the account in ${ctx.region}: ${associated}. ` +
        `Pushbutton leaves it associated, as another project may rely on it; Greengrass uses it for this project's ` +
        `core devices too, so it needs the AWSGreengrassResourceAccessRolePolicy permissions.`,
    );
    return associated;
  }
  const { AssociateServiceRoleToAccountCommand } = await greengrassSdk();
  await client.send(new AssociateServiceRoleToAccountCommand({ roleArn: ours }));
  ctx.print(`Associated Greengrass service role ${ours} with the account in ${ctx.region}.`);
  return ours;
}

async function iotEndpoint(client: IoTClient, endpointType: EndpointType): Promise<string> {
  const { DescribeEndpointCommand } = await iotSdk();
  const { endpointAddress } = await client.send(new DescribeEndpointCommand({ endpointType }));
  if (!endpointAddress) throw new Error(`AWS IoT returned no ${endpointType} endpoint.`);
  return endpointAddress;
}

const coreAccountLink: Effect = {
  async apply(ctx) {
    const ours = coreAccountFacts(ctx).service_role_arn;
    const serviceRole = await linkServiceRole(await greengrassClient(ctx.region), ctx, ours);
    const iot = new (await iotSdk()).IoTClient({ region: ctx.region, maxAttempts: MAX_ATTEMPTS });
    const facts: AccountLinkFacts = {
      iot_data_endpoint: await iotEndpoint(iot, 'iot:Data-ATS'),
      iot_credential_endpoint: await iotEndpoint(iot, 'iot:CredentialProvider'),
      service_role_arn: serviceRole,
      service_role_associated_by_pushbutton: serviceRole === ours,
    };
    return { facts, pending: [] };
  },

  rehearse(ctx) {
    const ours = coreAccountFacts(ctx).service_role_arn;
    ctx.print(`Would associate Greengrass service role ${ours} with the account in ${ctx.region}, unless a role is already associated.`);
    ctx.print(`Would look up the account's IoT data (iot:Data-ATS) and credential provider endpoints in ${ctx.region}.`);
    const facts: AccountLinkFacts = {
      iot_data_endpoint: `rehearsal-0000000000-ats.iot.${ctx.region}.amazonaws.com`,
      iot_credential_endpoint: `rehearsal-0000000000.credentials.iot.${ctx.region}.amazonaws.com`,
      service_role_arn: ours,
      service_role_associated_by_pushbutton: true,
    };
    return { facts, pending: [] };
  },

  async destroy(ctx) {
    const ours = coreAccountFacts(ctx).service_role_arn;
    const client = await greengrassClient(ctx.region);
    const associated = await associatedServiceRole(client);
    if (associated !== ours) {
      ctx.print(`Greengrass service role ${ours} is not associated with the account in ${ctx.region}: nothing to disassociate.`);
      return;
    }
    const { DisassociateServiceRoleFromAccountCommand } = await greengrassSdk();
    await client.send(new DisassociateServiceRoleFromAccountCommand({}));
    ctx.print(`Disassociated Greengrass service role ${ours} from the account in ${ctx.region}.`);
  },
};

export default coreAccountLink;
