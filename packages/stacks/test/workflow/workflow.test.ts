import { Testing, TerraformResource } from 'cdktf';
import { buildStack, Settings } from '../../src';
import workflow from '../../src/workflow/workflow';
import type { WorkflowSettings } from '../../src/workflow/settings';

const settings = (results: Partial<WorkflowSettings['results']> = {}): Settings => ({
  project: { name: 'lab', region: 'eu-central-1', tags: { Owner: 'genomics' }, state: { backend: 'local' } },
  workflows: {
    results: { prefix: 'runs/dahak', keepOnDestroy: true, ...results },
    launch: {
      engine: 'ec2',
      maxConcurrent: 4,
      imageId: 'resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
      rootVolumeGiB: 250,
      batch: { capacity: 'on-demand', maxVcpus: 256, image: 'public.ecr.aws/ubuntu/ubuntu:22.04' },
    },
    monitoring: { logRetentionDays: 30, overdueShare: 0.8 },
    workflows: {},
    cases: [],
    studies: {},
  },
});

type Synthesized = {
  resource: Record<string, Record<string, Record<string, any>>>;
  variable: Record<string, { type: string; description: string }>;
  output: Record<string, { value: unknown; description: string }>;
  data?: unknown;
};

const synthText = (s: Settings = settings()) => Testing.synth(buildStack(workflow, 'workflow', s).stack);
const synth = (s: Settings = settings()): Synthesized => JSON.parse(synthText(s));

const addresses = (json: Synthesized) =>
  Object.entries(json.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();

const BUCKET_ARN = '${aws_s3_bucket.results.arn}';
const BUCKET_ID = '${aws_s3_bucket.results.id}';
const PROJECT_TAGS = { Project: 'lab', ManagedBy: 'pushbutton', Owner: 'genomics' };
const WORKER_TAGS = { ...PROJECT_TAGS, Name: 'lab-workflow-worker' };

/** The bucket and what keeps it private: what keepOnDestroy keeps. */
const BUCKET_RESOURCES = [
  'aws_s3_bucket.results',
  'aws_s3_bucket_ownership_controls.results_ownership',
  'aws_s3_bucket_policy.results_policy',
  'aws_s3_bucket_public_access_block.results_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration.results_encryption',
  'aws_s3_bucket_versioning.results_versioning',
];
const WORKER_RESOURCES = [
  'aws_iam_instance_profile.worker_instance_profile',
  'aws_iam_role.worker_role',
  'aws_iam_role_policy.worker_monitoring',
  'aws_iam_role_policy.worker_session_manager',
  'aws_iam_role_policy.worker_write_results',
  'aws_launch_template.worker_launch_template',
];
/** What a person sees of running cases (monitoring.ts), on either engine. */
const MONITORING_RESOURCES = [
  'aws_cloudwatch_dashboard.dashboard',
  'aws_cloudwatch_log_group.case_logs',
  'aws_cloudwatch_metric_alarm.cases_failed',
  'aws_cloudwatch_metric_alarm.cases_overdue',
  'aws_sns_topic.alarms',
];
const UNTAGGABLE = [
  'aws_cloudwatch_dashboard',
  'aws_iam_role_policy',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_versioning',
];

const resourceAt = (json: Synthesized, address: string) => {
  const [type, name] = address.split('.');
  return json.resource[type][name];
};

describe('the workflow stack, engine ec2', () => {
  const json = synth();
  const r = json.resource;

  it('has exactly the results bucket and its settings, the worker role, policies, instance profile and launch template, and the monitoring', () => {
    expect(addresses(json)).toEqual([...BUCKET_RESOURCES, ...WORKER_RESOURCES, ...MONITORING_RESOURCES].sort());
    expect(json.data).toBeUndefined();
  });

  it("declares the network step's subnet and security group as string variables", () => {
    expect(Object.keys(json.variable).sort()).toEqual(['network_security_group_id', 'network_subnet_id']);
    for (const [name, variable] of Object.entries(json.variable)) {
      expect(variable.type, name).toBe('string');
      expect(variable.description, name).toContain('a fact of network');
    }
  });

  describe('the results bucket', () => {
    it('takes a unique name after the project prefix', () => {
      expect(r.aws_s3_bucket.results.bucket_prefix).toBe('lab-results-');
      expect(r.aws_s3_bucket.results.bucket).toBeUndefined();
    });

    it('is versioned, encrypted with SSE-S3 and a bucket key, and owned by the bucket owner only', () => {
      expect(r.aws_s3_bucket_versioning.results_versioning).toMatchObject({
        bucket: BUCKET_ID,
        versioning_configuration: { status: 'Enabled' },
      });
      expect(r.aws_s3_bucket_server_side_encryption_configuration.results_encryption).toMatchObject({
        bucket: BUCKET_ID,
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: true }],
      });
      expect(r.aws_s3_bucket_ownership_controls.results_ownership).toMatchObject({
        bucket: BUCKET_ID,
        rule: { object_ownership: 'BucketOwnerEnforced' },
      });
    });

    it('blocks every kind of public access', () => {
      expect(r.aws_s3_bucket_public_access_block.results_public_access_block).toMatchObject({
        bucket: BUCKET_ID,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    });

    it('has a policy that grants nothing: its one statement denies every request not made over TLS', () => {
      const policy = r.aws_s3_bucket_policy.results_policy;
      expect(policy.bucket).toBe(BUCKET_ID);
      const document = JSON.parse(policy.policy);
      expect(document).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      });
      expect(document.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow')).toEqual([]);
    });

    it('with keepOnDestroy, cannot be destroyed by Terraform, nor can its settings, and is not emptied on destroy', () => {
      expect(r.aws_s3_bucket.results.force_destroy).toBe(false);
      for (const address of BUCKET_RESOURCES) expect(resourceAt(json, address).lifecycle, address).toEqual({ prevent_destroy: true });
      for (const address of WORKER_RESOURCES) expect(resourceAt(json, address).lifecycle, address).toBeUndefined();
    });

    it('without keepOnDestroy, is destroyed with everything in it', () => {
      const disposable = synth(settings({ keepOnDestroy: false }));
      expect(disposable.resource.aws_s3_bucket.results.force_destroy).toBe(true);
      for (const address of addresses(disposable)) expect(resourceAt(disposable, address).lifecycle, address).toBeUndefined();
      expect(JSON.stringify(disposable)).not.toContain('prevent_destroy');
    });
  });

  describe('the worker role', () => {
    it('is named after the project and only EC2 may assume it', () => {
      const role = r.aws_iam_role.worker_role;
      expect(role.name).toBe('lab-workflow-worker');
      expect(JSON.parse(role.assume_role_policy)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    });

    it('may only write and abort writing objects under the results prefix', () => {
      const policy = r.aws_iam_role_policy.worker_write_results;
      expect(policy.role).toBe('${aws_iam_role.worker_role.name}');
      expect(JSON.parse(policy.policy)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
            Resource: `${BUCKET_ARN}/runs/dahak/*`,
          },
        ],
      });
      expect(Object.keys(r.aws_iam_role_policy).sort()).toEqual(['worker_monitoring', 'worker_session_manager', 'worker_write_results']);
    });

    it("may only ship logs to the project's case log group and metrics to its namespace", () => {
      const policy = r.aws_iam_role_policy.worker_monitoring;
      expect(policy.role).toBe('${aws_iam_role.worker_role.name}');
      const logGroup = '${aws_cloudwatch_log_group.case_logs.arn}';
      expect(JSON.parse(policy.policy).Statement).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: [logGroup, `${logGroup}:log-stream:*`] },
        { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Pushbutton/lab' } } },
      ]);
    });

    // The permissions AWS lists for Session Manager on an instance role, without S3 or KMS session logging
    // (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-add-permissions-to-existing-profile.html).
    // AmazonSSMManagedInstanceCore grants ssm:GetParameter and ssm:GetParameters on every parameter besides.
    it('may use Session Manager instead of SSH, and read no SSM parameter', () => {
      const policy = r.aws_iam_role_policy.worker_session_manager;
      expect(policy.role).toBe('${aws_iam_role.worker_role.name}');
      const [statement, ...others] = JSON.parse(policy.policy).Statement;
      expect(others).toEqual([]);
      expect(statement).toMatchObject({ Effect: 'Allow', Resource: '*' });
      expect([...statement.Action].sort()).toEqual([
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ]);
      expect(r.aws_iam_role_policy_attachment).toBeUndefined();
      expect(JSON.stringify(json)).not.toMatch(/AmazonSSMManagedInstanceCore|ssm:GetParameter/);
    });

    it('is in an instance profile of the same name', () => {
      expect(r.aws_iam_instance_profile.worker_instance_profile).toMatchObject({
        name: 'lab-workflow-worker',
        role: '${aws_iam_role.worker_role.name}',
      });
    });
  });

  describe('the launch template', () => {
    const template = r.aws_launch_template.worker_launch_template;

    it('starts workers from the configured image with the worker instance profile, and makes it the default version', () => {
      expect(template).toMatchObject({
        name: 'lab-workflow-worker',
        image_id: 'resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
        iam_instance_profile: { arn: '${aws_iam_instance_profile.worker_instance_profile.arn}' },
        update_default_version: true,
      });
    });

    it('leaves the instance type to each case, and has no key pair (no SSH)', () => {
      expect(template.instance_type).toBeUndefined();
      expect(template.key_name).toBeUndefined();
      expect(template.user_data).toBeUndefined();
    });

    it('terminates a worker that shuts itself down', () => {
      expect(template.instance_initiated_shutdown_behavior).toBe('terminate');
    });

    // With instance tags in metadata, EC2 refuses a launch whose tag keys hold a space or `/`
    // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html), and project
    // tags may: "cost center", "team/lab". The runner reads only the instance id, so they stay out.
    it('requires IMDSv2 tokens, one hop only, and keeps instance tags out of the metadata', () => {
      expect(template.metadata_options).toEqual({
        http_endpoint: 'enabled',
        http_tokens: 'required',
        http_put_response_hop_limit: 1,
        instance_metadata_tags: 'disabled',
      });
      const tagged = synth({ ...settings(), project: { ...settings().project, tags: { 'cost center': 'genomics', 'team/lab': 'wet' } } });
      const tags = tagged.resource.aws_launch_template.worker_launch_template.tag_specifications[0].tags;
      expect(Object.keys(tags)).toEqual(expect.arrayContaining(['cost center', 'team/lab']));
      expect(tagged.resource.aws_launch_template.worker_launch_template.metadata_options.instance_metadata_tags).toBe('disabled');
    });

    it("puts the worker in the network step's subnet and security group, with a public address for outbound traffic", () => {
      expect(template.network_interfaces).toEqual([
        {
          device_index: 0,
          subnet_id: '${var.network_subnet_id}',
          security_groups: ['${var.network_security_group_id}'],
          associate_public_ip_address: 'true',
          delete_on_termination: 'true',
        },
      ]);
      expect(template.vpc_security_group_ids).toBeUndefined();
    });

    it('gives the worker an encrypted gp3 root volume of the configured size, deleted with it', () => {
      expect(template.block_device_mappings).toEqual([
        {
          device_name: '/dev/sda1',
          ebs: { volume_size: 250, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' },
        },
      ]);
    });

    it("tags each worker instance and volume with the project's tags and the worker's name", () => {
      expect(template.tag_specifications).toEqual([
        { resource_type: 'instance', tags: WORKER_TAGS },
        { resource_type: 'volume', tags: WORKER_TAGS },
      ]);
    });
  });

  it('hands on the bucket, the results prefix, the launch template, the role and the instance profile as outputs', () => {
    const values = Object.fromEntries(Object.entries(json.output).map(([name, o]) => [name, o.value]));
    expect(values).toEqual({
      bucket_name: '${aws_s3_bucket.results.id}',
      bucket_arn: BUCKET_ARN,
      results_prefix: 'runs/dahak',
      launch_template_id: '${aws_launch_template.worker_launch_template.id}',
      launch_template_name: '${aws_launch_template.worker_launch_template.name}',
      worker_role_name: '${aws_iam_role.worker_role.name}',
      worker_role_arn: '${aws_iam_role.worker_role.arn}',
      instance_profile_name: '${aws_iam_instance_profile.worker_instance_profile.name}',
      instance_profile_arn: '${aws_iam_instance_profile.worker_instance_profile.arn}',
      log_group_name: '${aws_cloudwatch_log_group.case_logs.name}',
      metric_namespace: 'Pushbutton/lab',
      alarm_topic_arn: '${aws_sns_topic.alarms.arn}',
      dashboard_url: 'https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/${aws_cloudwatch_dashboard.dashboard.dashboard_name}',
    });
    for (const [name, output] of Object.entries(json.output)) expect(output.description, name).not.toBe('');
  });

  it("tags every resource that takes tags with the project's tags and a Name", () => {
    const names: Record<string, string> = {
      aws_s3_bucket: 'lab-results',
      aws_iam_role: 'lab-workflow-worker',
      aws_iam_instance_profile: 'lab-workflow-worker',
      aws_launch_template: 'lab-workflow-worker',
    };
    for (const [type, byName] of Object.entries(r)) {
      for (const [name, resource] of Object.entries(byName)) {
        // The monitoring's resources carry their names in name, alarm_name or dashboard_name.
        const tags = names[type] ? { ...PROJECT_TAGS, Name: names[type] } : PROJECT_TAGS;
        if (UNTAGGABLE.includes(type)) expect(resource.tags, `${type}.${name}`).toBeUndefined();
        else expect(resource.tags, `${type}.${name}`).toEqual(tags);
      }
    }
  });

  it('leaves untagged only resources that take no tags', () => {
    const resources = buildStack(workflow, 'workflow', settings()).stack.node.findAll().filter((node) => node instanceof TerraformResource);
    const untaggable = resources.filter((resource) => !('tagsInput' in resource)).map((resource) => resource.terraformResourceType);
    expect([...new Set(untaggable)].sort()).toEqual(UNTAGGABLE);
  });

  it('synthesizes the same Terraform every time', () => {
    expect(synthText()).toBe(synthText());
  });

  it('says which config file it needs when there is no config/workflows.yaml', () => {
    const { workflows: _, ...withoutWorkflows } = settings();
    expect(() => buildStack(workflow, 'workflow', withoutWorkflows)).toThrow('This stack needs config/workflows.yaml, which does not exist.');
  });
});
