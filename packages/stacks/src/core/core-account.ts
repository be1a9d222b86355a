import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import { IotRoleAlias } from '@cdktf/provider-aws/lib/iot-role-alias';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { privateBucket } from '../private-bucket';
import { PushbuttonStack, trustPolicy } from '../pushbutton-stack';
import { required, Settings } from '../settings';
import { componentBucketPrefix } from './settings'; // and the step's settings, under StepSettings

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
 * What core devices need of the component bucket to download custom components' artifacts: each object
 * (s3:GetObject, "Allow access to S3 buckets for component artifacts", device-service-role.html), and the
 * bucket's region, which the nucleus asks for before every download (GetBucketLocation, in
 * aws-greengrass-nucleus's S3Downloader; AWS's default token exchange policy grants it on every bucket).
 */
function componentArtifactsPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/*` },
      { Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: bucketArn },
    ],
  });
}

/**
 * What every core device of the account shares: the token exchange role with its IoT
 * role alias (how a core trades its certificate for AWS credentials), the IoT policy
 * allowing that trade, and the Greengrass service role; with custom components, the bucket
 * of their artifacts, which that role may read.
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

    // Only with custom components: their artifacts' bucket, which the token exchange role may read.
    const components = Object.keys(settings.core?.customComponents ?? {}).length ? this.componentBucket(tokenExchangeRole) : undefined;

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
    if (components) {
      // A bucket's id is its name; a rehearsal pins ids (not names), so its facts stay the same.
      new TerraformOutput(this, 'component_bucket_name', {
        value: components.id,
        description: "The bucket of the custom components' artifacts, under <component>/<version>/",
      });
    }
  }

  /**
   * The custom components' artifacts: private (every public access blocked, ACLs off), encrypted, TLS
   * only. Not versioned: a component version's artifacts never change (Greengrass checks their digests),
   * and every object can be uploaded again from the workspace, so destroy empties it.
   */
  private componentBucket(tokenExchangeRole: IamRole): S3Bucket {
    const bucket = privateBucket(this, 'components', { bucketPrefix: componentBucketPrefix(this.project.name), keepOnDestroy: false });
    new IamRolePolicy(this, 'token_exchange_components', {
      name: this.resourceName('gg-token-exchange-components'),
      role: tokenExchangeRole.name,
      policy: componentArtifactsPolicy(bucket.arn),
    });
    return bucket;
  }
}

/** The core-account stack unit. */
export default (scope: Construct, name: string, settings: Settings) => new CoreAccountStack(scope, name, settings);
