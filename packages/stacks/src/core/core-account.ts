import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import { IotRoleAlias } from '@cdktf/provider-aws/lib/iot-role-alias';
import { PushbuttonStack, trustPolicy } from '../pushbutton-stack';
import { required, Settings } from '../settings';
import type {} from './settings'; // the step's settings, under StepSettings

const GREENGRASS_RESOURCE_ACCESS_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSGreengrassResourceAccessRolePolicy';

/** What core devices do with the token exchange role's credentials: write their logs to CloudWatch. */
function greengrassLogsPolicy(region: string): string {
  const logGroups = `arn:aws:logs:${region}:*:log-group:/aws/greengrass/*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: [logGroups, `${logGroups}:log-stream:*`],
      },
    ],
  });
}

/**
 * What every core device of the account shares: the token exchange role with its IoT
 * role alias (how a core trades its certificate for AWS credentials), the IoT policy
 * allowing that trade, and the Greengrass service role.
 */
export class CoreAccountStack extends PushbuttonStack {
  constructor(scope: Construct, stackName: string, settings: Settings) {
    super(scope, stackName, settings.project);
    required(settings, 'core', 'core.yaml');
    const region = settings.project.region;

    const tokenExchangeRole = new IamRole(this, 'token_exchange_role', {
      name: this.resourceName('gg-token-exchange'),
      description: 'Assumed by Greengrass core devices through the IoT credentials provider',
      assumeRolePolicy: trustPolicy('credentials.iot.amazonaws.com'),
      tags: this.nameTag('gg-token-exchange'),
    });
    new IamRolePolicy(this, 'token_exchange_logs', {
      name: this.resourceName('gg-token-exchange-logs'),
      role: tokenExchangeRole.name,
      policy: greengrassLogsPolicy(region),
    });
    const roleAlias = new IotRoleAlias(this, 'token_exchange_role_alias', {
      alias: this.resourceName('gg-token-exchange-alias'),
      roleArn: tokenExchangeRole.arn,
      credentialDuration: 3600,
      tags: this.nameTag('gg-token-exchange-alias'),
    });
    const roleAliasPolicy = new IotPolicy(this, 'role_alias_policy', {
      name: this.resourceName('gg-role-alias'),
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:AssumeRoleWithCertificate', Resource: roleAlias.arn }],
      }),
      tags: this.nameTag('gg-role-alias'),
    });

    const serviceRole = new IamRole(this, 'greengrass_service_role', {
      name: this.resourceName('greengrass-service-role'),
      description: 'Lets AWS IoT Greengrass reach AWS resources on behalf of the account',
      // Only Greengrass acting for this account in this region: AWS's guard against the confused deputy
      // (https://docs.aws.amazon.com/greengrass/v2/developerguide/greengrass-service-role.html).
      assumeRolePolicy: trustPolicy('greengrass.amazonaws.com', {
        ArnLike: { 'aws:SourceArn': `arn:aws:greengrass:${region}:${this.accountId()}:*` },
        StringEquals: { 'aws:SourceAccount': this.accountId() },
      }),
      tags: this.nameTag('greengrass-service-role'),
    });
    new IamRolePolicyAttachment(this, 'greengrass_service_role_policy', {
      role: serviceRole.name,
      policyArn: GREENGRASS_RESOURCE_ACCESS_POLICY,
    });

    new TerraformOutput(this, 'token_exchange_role_arn', {
      value: tokenExchangeRole.arn,
      description: 'The role core devices assume for AWS credentials',
    });
    new TerraformOutput(this, 'role_alias_name', { value: roleAlias.alias, description: 'The IoT role alias of the token exchange role' });
    new TerraformOutput(this, 'role_alias_arn', { value: roleAlias.arn, description: 'The ARN of the IoT role alias' });
    new TerraformOutput(this, 'role_alias_policy_name', {
      value: roleAliasPolicy.name,
      description: 'The IoT policy every core device certificate needs to use the role alias',
    });
    new TerraformOutput(this, 'service_role_arn', { value: serviceRole.arn, description: 'The Greengrass service role' });
    new TerraformOutput(this, 'service_role_name', {
      value: serviceRole.name,
      description: 'The name of the Greengrass service role, to associate with the account',
    });
  }
}

/** The core-account stack unit. */
export default (scope: Construct, name: string, settings: Settings) => new CoreAccountStack(scope, name, settings);
