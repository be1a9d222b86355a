// The Batch engine of the workflow stack, as synthesized: the resources, and the shapes AWS
// Batch documents for each (https://docs.aws.amazon.com/batch/latest/APIReference/).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { buildStack, Settings } from '../../src';
import { BATCH_BOOTSTRAP } from '../../src/workflow/batch';
import type { BatchSettings, WorkflowDefinition } from '../../src/workflow/settings';
import workflow from '../../src/workflow/workflow';

const workflowDefinition = (name: string, more: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  name,
  description: '',
  instanceType: 'm5.2xlarge',
  vcpus: 8,
  memoryMiB: 30000,
  privileged: false,
  timeoutMinutes: 240,
  packages: [],
  setup: [],
  workdir: '/opt/work',
  command: 'make',
  config: {},
  parameters: {},
  inputs: [],
  outputs: [],
  ...more,
});

const settings = (batch: Partial<BatchSettings> = {}, engine: 'batch' | 'ec2' = 'batch'): Settings => ({
  project: { name: 'lab', region: 'eu-central-1', tags: {}, state: { backend: 'local' } },
  workflows: {
    results: { prefix: 'runs', keepOnDestroy: true },
    launch: {
      engine,
      maxConcurrent: 4,
      imageId: 'ami-0123456789abcdef0',
      rootVolumeGiB: 200,
      batch: { capacity: 'on-demand', maxVcpus: 512, image: 'public.ecr.aws/ubuntu/ubuntu:22.04', ...batch },
    },
    monitoring: { logRetentionDays: 90, overdueShare: 0.8 },
    workflows: {
      assembly: workflowDefinition('assembly', { instanceType: 'r5.4xlarge', vcpus: 16, memoryMiB: 120000, privileged: true, timeoutMinutes: 720 }),
      qc: workflowDefinition('qc', { image: 'quay.io/lab/qc:1.0' }),
    },
    cases: [],
    studies: {},
  },
});

type Json = { resource: Record<string, Record<string, Record<string, any>>>; output: Record<string, { value: any }> };
const synth = (s: Settings): Json => JSON.parse(Testing.synth(buildStack(workflow, 'workflow', s).stack));

describe('the workflow stack, engine batch', () => {
  const json = synth(settings());
  const r = json.resource;
  const definition = (name: string) => r.aws_batch_job_definition[`batch_job_${name}`];
  const container = (name: string) => JSON.parse(definition(name).container_properties);

  it('adds a compute environment, a queue, a job definition per workflow, their roles and a launch template', () => {
    expect(Object.keys(r.aws_batch_compute_environment)).toEqual(['batch_compute']);
    expect(Object.keys(r.aws_batch_job_queue)).toEqual(['batch_queue']);
    expect(Object.keys(r.aws_batch_job_definition).sort()).toEqual(['batch_job_assembly', 'batch_job_qc']);
    // The case log group is the monitoring's, on either engine.
    expect(Object.keys(r.aws_cloudwatch_log_group)).toEqual(['case_logs']);
    expect(Object.keys(r.aws_iam_role).sort()).toEqual(['batch_execution_role', 'batch_instance_role', 'batch_job_role', 'worker_role']);
    expect(Object.keys(r.aws_launch_template).sort()).toEqual(['batch_launch_template', 'worker_launch_template']);
  });

  it('has none of it with engine ec2', () => {
    const ec2 = synth(settings({}, 'ec2')).resource;
    expect(Object.keys(ec2).filter((type) => type.startsWith('aws_batch'))).toEqual([]);
    expect(Object.keys(ec2.aws_iam_role)).toEqual(['worker_role']);
  });

  it('runs a managed On-Demand environment of the workflows\' instance types in the network step\'s subnet, from 0 vCPUs', () => {
    const environment = r.aws_batch_compute_environment.batch_compute;
    expect(environment.type).toBe('MANAGED');
    expect(environment.service_role).toBeUndefined(); // Batch's service-linked role
    expect(environment.compute_resources).toEqual({
      type: 'EC2',
      allocation_strategy: 'BEST_FIT_PROGRESSIVE',
      min_vcpus: 0,
      max_vcpus: 512,
      instance_type: ['m5.2xlarge', 'r5.4xlarge'],
      instance_role: '${aws_iam_instance_profile.batch_instance_profile.arn}',
      subnets: ['${var.network_subnet_id}'],
      security_group_ids: ['${var.network_security_group_id}'],
      launch_template: { launch_template_id: '${aws_launch_template.batch_launch_template.id}', version: '${aws_launch_template.batch_launch_template.latest_version}' },
    });
    expect(environment.compute_resources.ec2_key_pair).toBeUndefined();
  });

  it('takes Spot capacity, capacity-optimized, when asked', () => {
    const spot = synth(settings({ capacity: 'spot' })).resource.aws_batch_compute_environment.batch_compute;
    expect(spot.compute_resources).toMatchObject({ type: 'SPOT', allocation_strategy: 'SPOT_CAPACITY_OPTIMIZED', min_vcpus: 0 });
    // A new environment replaces the old before the queue lets go of it.
    expect(spot.compute_environment_name).toBe('lab-workflow-spot');
    expect(spot.lifecycle).toEqual({ create_before_destroy: true });
  });

  it('starts its instances with IMDSv2 only, no key pair and an encrypted root volume of the configured size', () => {
    const template = r.aws_launch_template.batch_launch_template;
    expect(template.metadata_options).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 });
    expect(template.key_name).toBeUndefined();
    expect(template.block_device_mappings).toEqual([
      { device_name: '/dev/xvda', ebs: { volume_size: 200, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } },
    ]);
  });

  it('has one queue in front of the environment that cancels a job no instance type can take', () => {
    const queue = r.aws_batch_job_queue.batch_queue;
    expect(queue).toMatchObject({ name: 'lab-workflow', state: 'ENABLED', priority: 1 });
    expect(queue.compute_environment_order).toEqual([{ order: 1, compute_environment: '${aws_batch_compute_environment.batch_compute.arn}' }]);
    // The reasons Batch documents for jobStateTimeLimitActions.
    expect(queue.job_state_time_limit_action.map((a: { reason: string }) => a.reason)).toEqual([
      'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
      'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
    ]);
    for (const action of queue.job_state_time_limit_action) expect(action).toMatchObject({ state: 'RUNNABLE', action: 'CANCEL', max_time_seconds: 600 });
  });

  it("gives each workflow a job definition with its image, vCPUs, memory and timeout, privileged only when it asks", () => {
    expect(definition('qc')).toMatchObject({ name: 'lab-qc', type: 'container', platform_capabilities: ['EC2'], propagate_tags: true });
    expect(container('qc')).toMatchObject({
      image: 'quay.io/lab/qc:1.0',
      resourceRequirements: [
        { type: 'VCPU', value: '8' },
        { type: 'MEMORY', value: '30000' },
      ],
      privileged: false,
      jobRoleArn: '${aws_iam_role.batch_job_role.arn}',
      executionRoleArn: '${aws_iam_role.batch_execution_role.arn}',
      environment: [
        { name: 'PUSHBUTTON_ENGINE', value: 'batch' },
        { name: 'AWS_DEFAULT_REGION', value: 'eu-central-1' },
      ],
    });
    expect(container('assembly')).toMatchObject({ image: 'public.ecr.aws/ubuntu/ubuntu:22.04', privileged: true });
    // The runner's own timeout ends a case first; Batch's, 30 minutes later, ends one that hangs.
    expect(definition('assembly').timeout).toEqual({ attempt_duration_seconds: (720 + 30) * 60 });
  });

  it('retries a job whose Spot host was reclaimed, and not one whose workflow failed', () => {
    // https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html: the last entry exits for any other reason.
    expect(definition('qc').retry_strategy).toEqual({
      attempts: 3,
      evaluate_on_exit: [
        { on_status_reason: 'Host EC2*', action: 'RETRY' },
        { on_reason: '*', action: 'EXIT' },
      ],
    });
  });

  it("sends the jobs' output to the case log group, with the configured retention", () => {
    expect(r.aws_cloudwatch_log_group.case_logs).toMatchObject({ name: '/pushbutton/lab/workflow', retention_in_days: 90 });
    expect(container('qc').logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '${aws_cloudwatch_log_group.case_logs.name}', 'awslogs-region': 'eu-central-1', 'awslogs-stream-prefix': 'qc' },
    });
  });

  it("runs the CloudWatch agent on its hosts, from MIME multi-part user data Batch merges, reporting to the project's namespace only", () => {
    const userData = Buffer.from(r.aws_launch_template.batch_launch_template.user_data, 'base64').toString();
    expect(userData).toMatch(/^MIME-Version: 1\.0\nContent-Type: multipart\/mixed; boundary="==PUSHBUTTON=="\n\n--==PUSHBUTTON==\nContent-Type: text\/x-shellscript; charset="us-ascii"\n\n#!\/bin\/bash\n/);
    expect(userData.endsWith('--==PUSHBUTTON==--\n')).toBe(true);
    const script = userData.split('\n\n').slice(2).join('\n\n').replace(/--==PUSHBUTTON==--\n$/, '');
    const file = join(mkdtempSync(join(tmpdir(), 'host-')), 'host.sh');
    writeFileSync(file, script);
    execFileSync('bash', ['-n', file]);
    execFileSync('shellcheck', ['--severity=style', file]);
    const config = JSON.parse(/<<'CONFIG'\n(.*)\nCONFIG\n/s.exec(script)![1]);
    expect(config.metrics).toMatchObject({ namespace: 'Pushbutton/lab', append_dimensions: { InstanceId: '${aws:InstanceId}' } });
    expect(Object.keys(config.metrics.metrics_collected)).toEqual(['cpu', 'mem', 'disk']);
    const metrics = JSON.parse(r.aws_iam_role_policy.batch_instance_metrics.policy).Statement;
    expect(metrics).toEqual([{ Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Pushbutton/lab' } } }]);
  });

  it('lets a job read its manifest and write under the results prefix, nothing else; ECS assumes it for this account only', () => {
    const policy = JSON.parse(r.aws_iam_role_policy.batch_job_results.policy);
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '${aws_s3_bucket.results.arn}/_pushbutton/jobs/*' },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: '${aws_s3_bucket.results.arn}/runs/*' },
      { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Pushbutton/lab' } } },
    ]);
    const trust = JSON.parse(r.aws_iam_role.batch_job_role.assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '${var.aws_account_id}' } },
      },
    ]);
  });

  it('attaches the AWS managed policies Batch documents to the instance and execution roles', () => {
    const attachments = Object.values(r.aws_iam_role_policy_attachment).map((a) => [a.role, a.policy_arn]).sort();
    expect(attachments).toEqual([
      ['${aws_iam_role.batch_execution_role.name}', 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'],
      ['${aws_iam_role.batch_instance_role.name}', 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role'],
    ]);
  });

  it('hands on the queue, the job definitions, the log group and where manifests go', () => {
    expect(json.output.job_queue_arn.value).toBe('${aws_batch_job_queue.batch_queue.arn}');
    expect(json.output.job_definitions.value).toEqual({
      assembly: '${aws_batch_job_definition.batch_job_assembly.arn}',
      qc: '${aws_batch_job_definition.batch_job_qc.arn}',
    });
    expect(json.output.log_group_name.value).toBe('${aws_cloudwatch_log_group.case_logs.name}');
    expect(json.output.jobs_prefix.value).toBe('_pushbutton/jobs');
  });

  it("bootstraps each job with a script that passes bash -n and shellcheck", () => {
    // Terraform would take the shell's ${VAR} for its own interpolation: written $${VAR}, it applies as ${VAR}.
    expect(container('qc').command).toEqual(['bash', '-c', BATCH_BOOTSTRAP.split('${').join('$' + '${')]);
    expect(container('qc').command[2]).toContain('"$' + '${PUSHBUTTON_JOB_URI}job.tar.gz"');
    expect(BATCH_BOOTSTRAP).toContain('${PUSHBUTTON_JOB_URI}');
    const file = join(mkdtempSync(join(tmpdir(), 'bootstrap-')), 'bootstrap.sh');
    writeFileSync(file, `#!/usr/bin/env bash\n${BATCH_BOOTSTRAP}\n`);
    execFileSync('bash', ['-n', file]);
    execFileSync('shellcheck', ['--severity=style', file]);
  });
});
