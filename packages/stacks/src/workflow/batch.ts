// The AWS Batch engine of the workflow step: a managed compute environment in the network step's
// subnet that scales to zero, one job queue, a job definition per workflow, the roles its jobs and
// hosts run as, and a log group. Every case runs the same rendered runner (run-case.sh) that an EC2
// worker runs; a job only fetches it first.
import { TerraformOutput } from 'cdktf';
import { BatchComputeEnvironment } from '@cdktf/provider-aws/lib/batch-compute-environment';
import { BatchJobDefinition } from '@cdktf/provider-aws/lib/batch-job-definition';
import { BatchJobQueue } from '@cdktf/provider-aws/lib/batch-job-queue';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { PushbuttonStack, trustPolicy } from '../pushbutton-stack';
import { agentMetrics, putMetricsStatement } from './metrics';
import { JOBS_PREFIX, WorkflowDefinition, WorkflowSettings } from './settings';

/**
 * What a job does first: install the AWS CLI in the image, unpack the job's pack (the rendered
 * runner and every case's case.env) from the folder its submission names (PUSHBUTTON_JOB_URI), and
 * run the runner, which does the rest as on EC2. PUSHBUTTON_HOME is for tests.
 */
export const BATCH_BOOTSTRAP = [
  'set -euo pipefail',
  'export DEBIAN_FRONTEND=noninteractive',
  'home="${PUSHBUTTON_HOME:-/opt/pushbutton}"',
  'apt-get update -qq && apt-get install -y -qq awscli ca-certificates curl >/dev/null',
  'mkdir -p "$home"',
  'aws s3 cp --only-show-errors "${PUSHBUTTON_JOB_URI}job.tar.gz" "$home/job.tar.gz"',
  'tar -xzf "$home/job.tar.gz" -C "$home"',
  'exec "$home/run-case.sh"',
].join('\n');

/**
 * A string Terraform must keep as it is: `${` and `%{` start its templates, so the shell's own
 * `${VAR}` is written `$${VAR}` (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences).
 */
export const terraformLiteral = (text: string) => text.replace(/([$%])\{/g, (_, sign: string) => `${sign}${sign}{`);

/** The MIME boundary of the hosts' user data, which Batch merges with its own. */
const MIME_BOUNDARY = '==PUSHBUTTON==';

/**
 * The script a Batch host runs first: the CloudWatch agent (from Amazon Linux 2023's own
 * repository) reporting the host's CPU, memory and disk to the project's namespace.
 */
export function batchHostScript(project: string): string {
  const config = JSON.stringify({ metrics: agentMetrics(project) });
  return [
    '#!/bin/bash',
    '# The CloudWatch agent: the host\'s CPU, memory and disk, for the project\'s dashboard. The jobs run without it if it fails.',
    'dnf install -y -q amazon-cloudwatch-agent || exit 0',
    "cat >/opt/aws/amazon-cloudwatch-agent/etc/pushbutton.json <<'CONFIG'",
    config,
    'CONFIG',
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/pushbutton.json || true',
    '',
  ].join('\n');
}

/**
 * A launch template's user data for Batch is MIME multi-part, which Batch merges with its own
 * (https://docs.aws.amazon.com/batch/latest/userguide/launch-templates.html). It reaches Terraform
 * base64-encoded, so none of it is read as Terraform's own templates.
 */
export function batchHostUserData(project: string): string {
  return [
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`,
    '',
    `--${MIME_BOUNDARY}`,
    'Content-Type: text/x-shellscript; charset="us-ascii"',
    '',
    batchHostScript(project),
    `--${MIME_BOUNDARY}--`,
    '',
  ].join('\n');
}

/** Each workflow's job definition is `<project>-<workflow>`. */
export const jobDefinitionName = (project: string, workflow: string) => `${project}-${workflow}`;

/**
 * Retry a job whose host went away (a Spot reclaim: "Host EC2 (instance i-…) terminated.") and
 * nothing else: a failing workflow is retried on purpose, with `nx run infra:retry`.
 * https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html
 */
export const JOB_RETRY_STRATEGY = {
  attempts: 3,
  evaluateOnExit: [
    { onStatusReason: 'Host EC2*', action: 'RETRY' },
    { onReason: '*', action: 'EXIT' },
  ],
};

/**
 * A job that no instance type of the compute environment can take would wait RUNNABLE forever; the
 * queue cancels it after 10 minutes instead, and the ledger shows why.
 * https://docs.aws.amazon.com/batch/latest/userguide/job_queues.html (jobStateTimeLimitActions)
 */
const CANCEL_UNFIT_JOBS = [
  { reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT', state: 'RUNNABLE', maxTimeSeconds: 600, action: 'CANCEL' },
  { reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE', state: 'RUNNABLE', maxTimeSeconds: 600, action: 'CANCEL' },
];

/** The root device of the ECS-optimized Amazon Linux 2023 AMI that Batch starts by default. */
const ECS_AMI_ROOT_DEVICE = '/dev/xvda';

/** The runner's own timeout ends a case first and writes its marker; Batch's ends a job that hangs anyway. */
const WATCHDOG_MINUTES = 30;

/**
 * ECS assumes task roles only for tasks of this account: the confused-deputy guard ECS documents
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
 */
const inAccount = (stack: PushbuttonStack) => ({ StringEquals: { 'aws:SourceAccount': stack.accountId() } });

const policyDocument = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/**
 * AWS managed policies, by name: AmazonEC2ContainerServiceforEC2Role for the compute instances
 * (https://docs.aws.amazon.com/batch/latest/userguide/instance_IAM_role.html) and
 * AmazonECSTaskExecutionRolePolicy for the execution role (https://docs.aws.amazon.com/batch/latest/userguide/execution-IAM-role.html).
 */
const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/service-role/${name}`;

interface BatchEngineInputs {
  workflows: WorkflowSettings;
  bucket: S3Bucket;
  logGroup: CloudwatchLogGroup;
  subnetId: string;
  securityGroupId: string;
}

/** Adds the Batch engine to the workflow stack and hands on what a submission needs. */
export function addBatchEngine(stack: PushbuttonStack, { workflows, bucket, logGroup, subnetId, securityGroupId }: BatchEngineInputs): void {
  const batch = workflows.launch.batch;
  const computeEnvironment = addComputeEnvironment(stack, workflows, subnetId, securityGroupId);
  const queue = new BatchJobQueue(stack, 'batch_queue', {
    name: stack.resourceName('workflow'),
    state: 'ENABLED',
    priority: 1,
    computeEnvironmentOrder: [{ order: 1, computeEnvironment: computeEnvironment.arn }],
    jobStateTimeLimitAction: CANCEL_UNFIT_JOBS,
  });
  const jobRole = addJobRole(stack, bucket, workflows.results.prefix);
  const executionRole = new IamRole(stack, 'batch_execution_role', {
    name: stack.resourceName('batch-execution'),
    description: "Used by ECS to pull a workflow job's image and send its logs",
    assumeRolePolicy: trustPolicy('ecs-tasks.amazonaws.com', inAccount(stack)),
  });
  new IamRolePolicyAttachment(stack, 'batch_execution_policy', {
    role: executionRole.name,
    policyArn: managedPolicy('AmazonECSTaskExecutionRolePolicy'),
  });

  const definitions = Object.values(workflows.workflows).map((workflow) =>
    jobDefinition(stack, workflow, {
      image: workflow.image ?? batch.image,
      jobRoleArn: jobRole.arn,
      executionRoleArn: executionRole.arn,
      logGroup: logGroup.name,
    }),
  );

  new TerraformOutput(stack, 'job_queue_arn', { value: queue.arn, description: 'The job queue every case is submitted to' });
  new TerraformOutput(stack, 'job_definitions', {
    value: Object.fromEntries(definitions.map(([name, definition]) => [name, definition.arn])),
    description: 'Each workflow\'s job definition (ARN with its revision)',
  });
  new TerraformOutput(stack, 'jobs_prefix', { value: JOBS_PREFIX, description: 'Where submissions keep each job\'s manifest, in the results bucket' });
}

/**
 * A managed compute environment with no instances while the queue is empty: On-Demand (best fit,
 * progressively) or Spot (capacity-optimized: the pools least likely to be reclaimed), of the
 * workflows' instance types, in the network step's subnet. Without a service role Batch uses its
 * service-linked role, AWSServiceRoleForBatch.
 */
function addComputeEnvironment(stack: PushbuttonStack, workflows: WorkflowSettings, subnetId: string, securityGroupId: string) {
  const { capacity, maxVcpus } = workflows.launch.batch;
  const instanceRole = new IamRole(stack, 'batch_instance_role', {
    name: stack.resourceName('batch-instance'),
    description: 'Assumed by the Batch compute instances: the ECS agent only',
    assumeRolePolicy: trustPolicy('ec2.amazonaws.com'),
  });
  new IamRolePolicyAttachment(stack, 'batch_instance_policy', {
    role: instanceRole.name,
    policyArn: managedPolicy('AmazonEC2ContainerServiceforEC2Role'),
  });
  new IamRolePolicy(stack, 'batch_instance_metrics', {
    name: stack.resourceName('batch-instance-metrics'),
    role: instanceRole.name,
    policy: policyDocument([putMetricsStatement(stack.project.name)]),
  });
  const instanceProfile = new IamInstanceProfile(stack, 'batch_instance_profile', {
    name: stack.resourceName('batch-instance'),
    role: instanceRole.name,
  });
  const launchTemplate = new LaunchTemplate(stack, 'batch_launch_template', {
    name: stack.resourceName('batch-instance'),
    description: 'Batch compute instances: IMDSv2 only, no key pair, an encrypted root volume',
    // Hop limit 1: containers cannot reach the instance's metadata (and its role); jobs use their own role.
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
    userData: Buffer.from(batchHostUserData(stack.project.name)).toString('base64'),
    blockDeviceMappings: [
      {
        deviceName: ECS_AMI_ROOT_DEVICE,
        ebs: { volumeSize: workflows.launch.rootVolumeGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
      },
    ],
    updateDefaultVersion: true,
  });
  const instanceTypes = [...new Set(Object.values(workflows.workflows).map((w) => w.instanceType))].sort();
  return new BatchComputeEnvironment(stack, 'batch_compute', {
    computeEnvironmentName: stack.resourceName(`workflow-${capacity}`),
    type: 'MANAGED',
    state: 'ENABLED',
    computeResources: {
      type: capacity === 'spot' ? 'SPOT' : 'EC2',
      allocationStrategy: capacity === 'spot' ? 'SPOT_CAPACITY_OPTIMIZED' : 'BEST_FIT_PROGRESSIVE',
      minVcpus: 0,
      maxVcpus,
      instanceType: instanceTypes,
      instanceRole: instanceProfile.arn,
      subnets: [subnetId],
      securityGroupIds: [securityGroupId],
      launchTemplate: { launchTemplateId: launchTemplate.id, version: launchTemplate.latestVersion.toString() },
    },
    // A new name takes a new environment (capacity is in the name): create it before the queue lets go of the old.
    lifecycle: { createBeforeDestroy: true },
  });
}

/** The role a job runs as: read the job manifests, write under the results prefix; nothing else. */
function addJobRole(stack: PushbuttonStack, bucket: S3Bucket, resultsPrefix: string): IamRole {
  const role = new IamRole(stack, 'batch_job_role', {
    name: stack.resourceName('workflow-job'),
    description: 'Assumed by workflow jobs: read their manifest, write case results',
    assumeRolePolicy: trustPolicy('ecs-tasks.amazonaws.com', inAccount(stack)),
  });
  new IamRolePolicy(stack, 'batch_job_results', {
    name: stack.resourceName('workflow-job-results'),
    role: role.name,
    policy: policyDocument([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${bucket.arn}/${JOBS_PREFIX}/*` },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `${bucket.arn}/${resultsPrefix}/*` },
      putMetricsStatement(stack.project.name),
    ]),
  });
  return role;
}

interface JobDefinitionInputs {
  image: string;
  jobRoleArn: string;
  executionRoleArn: string;
  logGroup: string;
}

function jobDefinition(stack: PushbuttonStack, workflow: WorkflowDefinition, inputs: JobDefinitionInputs): [string, BatchJobDefinition] {
  const containerProperties = {
    image: inputs.image,
    command: ['bash', '-c', terraformLiteral(BATCH_BOOTSTRAP)],
    jobRoleArn: inputs.jobRoleArn,
    executionRoleArn: inputs.executionRoleArn,
    resourceRequirements: [
      { type: 'VCPU', value: String(workflow.vcpus) },
      { type: 'MEMORY', value: String(workflow.memoryMiB) },
    ],
    privileged: workflow.privileged,
    environment: [
      { name: 'PUSHBUTTON_ENGINE', value: 'batch' },
      { name: 'AWS_DEFAULT_REGION', value: stack.project.region },
    ],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': inputs.logGroup, 'awslogs-region': stack.project.region, 'awslogs-stream-prefix': workflow.name },
    },
  };
  const definition = new BatchJobDefinition(stack, `batch_job_${workflow.name}`, {
    name: jobDefinitionName(stack.project.name, workflow.name),
    type: 'container',
    platformCapabilities: ['EC2'],
    containerProperties: JSON.stringify(containerProperties),
    retryStrategy: JOB_RETRY_STRATEGY,
    timeout: { attemptDurationSeconds: (workflow.timeoutMinutes + WATCHDOG_MINUTES) * 60 },
    propagateTags: true,
  });
  return [workflow.name, definition];
}
