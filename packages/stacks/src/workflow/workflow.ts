import { TerraformOutput, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { privateBucket } from '../private-bucket';
import { PushbuttonStack, trustPolicy } from '../pushbutton-stack';
import { projectTags, required, Settings } from '../settings';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { addBatchEngine } from './batch';
import { putMetricsStatement } from './metrics';
import { addMonitoring } from './monitoring';
import { resultsBucketPrefix, WorkflowSettings } from './settings';

/**
 * What the SSM agent needs for Session Manager, so an engineer can open a shell on a worker without SSH,
 * and nothing more: AmazonSSMManagedInstanceCore would also let workers read every SSM parameter.
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-add-permissions-to-existing-profile.html
 */
const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

/** What the CloudWatch agent needs to ship a worker's log files to the case log group, and nothing more. */
function writeLogsStatement(logGroupArn: string) {
  return {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
    Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
  };
}

/** The root device of the Ubuntu AMIs workers run. */
const ROOT_DEVICE = '/dev/sda1';

/** What a worker does with the results bucket: write (and abort writing) objects under the results prefix, nothing else. */
function writeResultsPolicy(bucketArn: string, prefix: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
        Resource: `${bucketArn}/${prefix}/*`,
      },
    ],
  });
}

/**
 * Where workflow cases run and what they keep: a private, encrypted, versioned results
 * bucket; the workers' role, which may only write results; the launch template every EC2
 * worker starts from, in the network step's subnet, reachable only through SSM; and, with
 * engine batch, the Batch queue and what it runs on (batch.ts).
 */
export class WorkflowStack extends PushbuttonStack {
  constructor(scope: Construct, stackName: string, settings: Settings) {
    super(scope, stackName, settings.project);
    const workflows = required(settings, 'workflows', 'workflows.yaml');

    const subnetId = new TerraformVariable(this, 'network_subnet_id', {
      type: 'string',
      description: 'The subnet workers run in (a fact of network)',
    });
    const securityGroupId = new TerraformVariable(this, 'network_security_group_id', {
      type: 'string',
      description: 'The security group workers run with (a fact of network)',
    });

    const bucket = this.resultsBucket(workflows.results);
    const { logGroup } = addMonitoring(this, workflows);
    const { role, instanceProfile } = this.worker(bucket, workflows.results.prefix, logGroup);
    const launchTemplate = this.launchTemplate(workflows.launch, instanceProfile, subnetId.stringValue, securityGroupId.stringValue);
    if (workflows.launch.engine === 'batch') {
      addBatchEngine(this, { workflows, bucket, logGroup, subnetId: subnetId.stringValue, securityGroupId: securityGroupId.stringValue });
    }

    // A bucket's id is its name; a rehearsal pins ids (not names), so its facts stay the same.
    new TerraformOutput(this, 'bucket_name', { value: bucket.id, description: 'The name of the results bucket' });
    new TerraformOutput(this, 'bucket_arn', { value: bucket.arn, description: 'The ARN of the results bucket' });
    new TerraformOutput(this, 'results_prefix', {
      value: workflows.results.prefix,
      description: 'Results of case <id> are under s3://<bucket_name>/<results_prefix>/<id>/',
    });
    new TerraformOutput(this, 'launch_template_id', { value: launchTemplate.id, description: 'The launch template every worker starts from' });
    new TerraformOutput(this, 'launch_template_name', { value: launchTemplate.name, description: 'The name of the launch template' });
    new TerraformOutput(this, 'worker_role_name', { value: role.name, description: 'The role workers run as' });
    new TerraformOutput(this, 'worker_role_arn', { value: role.arn, description: 'The ARN of the worker role' });
    new TerraformOutput(this, 'instance_profile_name', { value: instanceProfile.name, description: 'The instance profile of the workers' });
    new TerraformOutput(this, 'instance_profile_arn', {
      value: instanceProfile.arn,
      description: 'The ARN of the instance profile, which a launch passes with the launch template',
    });
  }

  /** The bucket and every setting that keeps it private; with keepOnDestroy, Terraform refuses to delete any of it. */
  private resultsBucket(results: WorkflowSettings['results']): S3Bucket {
    const { keepOnDestroy } = results;
    const bucket = privateBucket(this, 'results', { bucketPrefix: resultsBucketPrefix(this.project.name), keepOnDestroy });
    new S3BucketVersioningA(this, 'results_versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
      lifecycle: keepOnDestroy ? { preventDestroy: true } : undefined,
    });
    return bucket;
  }

  /** The role workers run as, allowed only to write results, their logs and metrics (and be reached through SSM), and its instance profile. */
  private worker(bucket: S3Bucket, prefix: string, logGroup: CloudwatchLogGroup): { role: IamRole; instanceProfile: IamInstanceProfile } {
    const name = this.resourceName('workflow-worker');
    const role = new IamRole(this, 'worker_role', {
      name,
      description: 'Assumed by workflow workers: write case results, and be reached through SSM Session Manager',
      assumeRolePolicy: trustPolicy('ec2.amazonaws.com'),
      tags: this.nameTag('workflow-worker'),
    });
    new IamRolePolicy(this, 'worker_write_results', {
      name: this.resourceName('workflow-worker-write-results'),
      role: role.name,
      policy: writeResultsPolicy(bucket.arn, prefix),
    });
    new IamRolePolicy(this, 'worker_monitoring', {
      name: this.resourceName('workflow-worker-monitoring'),
      role: role.name,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [writeLogsStatement(logGroup.arn), putMetricsStatement(this.project.name)] }),
    });
    new IamRolePolicy(this, 'worker_session_manager', {
      name: this.resourceName('workflow-worker-session-manager'),
      role: role.name,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: SESSION_MANAGER_ACTIONS, Resource: '*' }],
      }),
    });
    const instanceProfile = new IamInstanceProfile(this, 'worker_instance_profile', {
      name,
      role: role.name,
      tags: this.nameTag('workflow-worker'),
    });
    return { role, instanceProfile };
  }

  /**
   * What every worker starts from. Each case sets its instance type (and user data) when
   * it launches; there is no key pair, so no SSH.
   */
  private launchTemplate(
    launch: WorkflowSettings['launch'],
    instanceProfile: IamInstanceProfile,
    subnetId: string,
    securityGroupId: string,
  ): LaunchTemplate {
    const name = this.resourceName('workflow-worker');
    const instanceTags = { ...projectTags(this.project), Name: name };
    return new LaunchTemplate(this, 'worker_launch_template', {
      name,
      description: 'Workflow workers: one per case, terminated when the case ends',
      // An AMI id, or resolve:ssm:<parameter>, which EC2 resolves at each launch.
      imageId: launch.imageId,
      iamInstanceProfile: { arn: instanceProfile.arn },
      // A worker shuts itself down when its case ends (or the watchdog ends it): that terminates it.
      instanceInitiatedShutdownBehavior: 'terminate',
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
        // The runner reads only the instance id. With tags in instance metadata EC2 would refuse every
        // launch whose tag keys hold a space or `/`, which project tags may
        // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html).
        instanceMetadataTags: 'disabled',
      },
      networkInterfaces: [
        {
          deviceIndex: 0,
          subnetId,
          securityGroups: [securityGroupId],
          // Outbound internet without a NAT gateway; the security group admits nothing unasked.
          associatePublicIpAddress: 'true',
          deleteOnTermination: 'true',
        },
      ],
      blockDeviceMappings: [
        {
          deviceName: ROOT_DEVICE,
          ebs: { volumeSize: launch.rootVolumeGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
        },
      ],
      tagSpecifications: [
        { resourceType: 'instance', tags: instanceTags },
        { resourceType: 'volume', tags: instanceTags },
      ],
      updateDefaultVersion: true,
      tags: this.nameTag('workflow-worker'),
    });
  }
}

/** The workflow stack unit. */
export default (scope: Construct, name: string, settings: Settings) => new WorkflowStack(scope, name, settings);
