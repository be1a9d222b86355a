// The IAM policy a person or CI role needs to provision and destroy the current config
// (`nx run infra:iam-policy`), derived from what the config makes and what Pushbutton's code sends:
//   - the resource types of the synthesized stacks, each mapped to what the AWS provider calls to
//     create, read (on every refresh), update, tag and delete it (TERRAFORM_ACTIONS);
//   - every AWS SDK v3 command, paginator and waiter in the code of the steps present and in the
//     executors, found in their sources and mapped to its action by its client package's prefix
//     (CLIENT_PREFIXES);
//   - the Terraform state, where a stack keeps it in S3.
// The hand-kept tables are keyed by what the derivation finds, so a stack that adds a resource type
// or code that sends a command through a client with no row stops the derivation, naming it, and
// test/iam-policy.test.ts fails. Action names are the Service Authorization Reference's:
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import type { StepDefinition } from './steps/definition';
import { commandModule, unitModule } from './steps/kinds';
import { STEPS } from './steps/registry';
import type { SynthesizedStack } from './terraform/synthesized-stack';

const unique = <T>(values: T[]): T[] => [...new Set(values)];
const sorted = (values: string[]) => unique(values).sort();

/**
 * Per resource type (data sources as `data.<type>`), what the AWS provider (hashicorp/aws 5.x) calls
 * for it: create (with tags: tagging on create is authorized as the tagging action), read, update,
 * delete. `iam:PassRole` marks a type that hands one of the project's roles to a service; it goes to
 * its own statement, on those roles only.
 */
export const TERRAFORM_ACTIONS: Record<string, string[]> = {
  aws_vpc: [
    'ec2:CreateVpc', 'ec2:DeleteVpc', 'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:ModifyVpcAttribute',
    // Read: the VPC's default network ACL, main route table and default security group.
    'ec2:DescribeNetworkAcls', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups',
    'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_subnet: ['ec2:CreateSubnet', 'ec2:DeleteSubnet', 'ec2:DescribeSubnets', 'ec2:ModifySubnetAttribute', 'ec2:CreateTags', 'ec2:DeleteTags'],
  aws_internet_gateway: [
    'ec2:CreateInternetGateway', 'ec2:AttachInternetGateway', 'ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway',
    'ec2:DescribeInternetGateways', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_route_table: ['ec2:CreateRouteTable', 'ec2:DeleteRouteTable', 'ec2:DescribeRouteTables', 'ec2:DisassociateRouteTable', 'ec2:CreateTags', 'ec2:DeleteTags'],
  aws_route: ['ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute', 'ec2:DescribeRouteTables'],
  aws_route_table_association: ['ec2:AssociateRouteTable', 'ec2:ReplaceRouteTableAssociation', 'ec2:DisassociateRouteTable', 'ec2:DescribeRouteTables'],
  aws_security_group: [
    'ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:DescribeSecurityGroups',
    // A new group's allow-all egress rule is revoked; a delete looks for network interfaces left in it.
    'ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DescribeNetworkInterfaces',
    'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_vpc_security_group_egress_rule: [
    'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifySecurityGroupRules',
    'ec2:DescribeSecurityGroupRules', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_vpc_security_group_ingress_rule: [
    'ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:ModifySecurityGroupRules',
    'ec2:DescribeSecurityGroupRules', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],
  aws_launch_template: [
    'ec2:CreateLaunchTemplate', 'ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplate',
    'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions', 'ec2:CreateTags', 'ec2:DeleteTags',
  ],

  aws_iam_role: [
    'iam:CreateRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRole', 'iam:TagRole', 'iam:UntagRole',
    // Read: its inline and managed policies. Delete: out of its instance profiles first.
    'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies',
    'iam:ListInstanceProfilesForRole', 'iam:RemoveRoleFromInstanceProfile',
  ],
  aws_iam_role_policy: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
  aws_iam_role_policy_attachment: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:ListAttachedRolePolicies'],
  // AddRoleToInstanceProfile passes the role (its dependent action in the reference).
  aws_iam_instance_profile: [
    'iam:CreateInstanceProfile', 'iam:GetInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:AddRoleToInstanceProfile',
    'iam:RemoveRoleFromInstanceProfile', 'iam:TagInstanceProfile', 'iam:UntagInstanceProfile', 'iam:PassRole',
  ],

  aws_iot_thing: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing', 'iot:DeleteThing'],
  aws_iot_thing_group: [
    'iot:CreateThingGroup', 'iot:DescribeThingGroup', 'iot:UpdateThingGroup', 'iot:DeleteThingGroup',
    'iot:TagResource', 'iot:UntagResource', 'iot:ListTagsForResource',
  ],
  aws_iot_thing_group_membership: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:ListThingGroupsForThing'],
  // A delete makes an active certificate inactive first.
  aws_iot_certificate: ['iot:CreateCertificateFromCsr', 'iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:DeleteCertificate'],
  // An update is a new default version; the oldest is pruned at five, and a delete removes every version.
  aws_iot_policy: [
    'iot:CreatePolicy', 'iot:GetPolicy', 'iot:CreatePolicyVersion', 'iot:ListPolicyVersions', 'iot:DeletePolicyVersion', 'iot:DeletePolicy',
    'iot:TagResource', 'iot:UntagResource', 'iot:ListTagsForResource',
  ],
  aws_iot_policy_attachment: ['iot:AttachPolicy', 'iot:DetachPolicy', 'iot:ListAttachedPolicies'],
  // Read: ListThingPrincipalsV2 (provider 5.83 and later, which reads thing_principal_type), ListThingPrincipals before.
  aws_iot_thing_principal_attachment: ['iot:AttachThingPrincipal', 'iot:DetachThingPrincipal', 'iot:ListThingPrincipals', 'iot:ListThingPrincipalsV2'],
  aws_iot_role_alias: [
    'iot:CreateRoleAlias', 'iot:DescribeRoleAlias', 'iot:UpdateRoleAlias', 'iot:DeleteRoleAlias',
    'iot:TagResource', 'iot:UntagResource', 'iot:ListTagsForResource', 'iam:PassRole',
  ],

  aws_s3_bucket: [
    's3:CreateBucket', 's3:DeleteBucket', 's3:ListBucket', 's3:PutBucketTagging', 's3:GetBucketTagging',
    // Read on every refresh: each of the bucket's settings, whether another resource manages it or not.
    's3:GetBucketPolicy', 's3:GetBucketAcl', 's3:GetBucketCORS', 's3:GetBucketWebsite', 's3:GetBucketVersioning',
    's3:GetAccelerateConfiguration', 's3:GetBucketRequestPayment', 's3:GetBucketLogging', 's3:GetLifecycleConfiguration',
    's3:GetReplicationConfiguration', 's3:GetEncryptionConfiguration', 's3:GetBucketObjectLockConfiguration',
    // force_destroy empties it: every version of every object.
    's3:ListBucketVersions', 's3:DeleteObject', 's3:DeleteObjectVersion',
  ],
  aws_s3_bucket_versioning: ['s3:PutBucketVersioning', 's3:GetBucketVersioning'],
  aws_s3_bucket_server_side_encryption_configuration: ['s3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration'],
  // Their deletes (DeletePublicAccessBlock, DeleteBucketOwnershipControls) are authorized as the Put actions.
  aws_s3_bucket_public_access_block: ['s3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock'],
  aws_s3_bucket_ownership_controls: ['s3:PutBucketOwnershipControls', 's3:GetBucketOwnershipControls'],
  aws_s3_bucket_policy: ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],

  aws_batch_compute_environment: [
    'batch:CreateComputeEnvironment', 'batch:DescribeComputeEnvironments', 'batch:UpdateComputeEnvironment', 'batch:DeleteComputeEnvironment',
    'batch:TagResource', 'batch:UntagResource', 'batch:ListTagsForResource', 'iam:PassRole',
  ],
  // A delete disables the queue first.
  aws_batch_job_queue: [
    'batch:CreateJobQueue', 'batch:DescribeJobQueues', 'batch:UpdateJobQueue', 'batch:DeleteJobQueue',
    'batch:TagResource', 'batch:UntagResource', 'batch:ListTagsForResource',
  ],
  // An update registers a new revision and deregisters the old; the job and execution roles are passed.
  aws_batch_job_definition: [
    'batch:RegisterJobDefinition', 'batch:DescribeJobDefinitions', 'batch:DeregisterJobDefinition',
    'batch:TagResource', 'batch:UntagResource', 'batch:ListTagsForResource', 'iam:PassRole',
  ],

  aws_cloudwatch_log_group: [
    'logs:CreateLogGroup', 'logs:DescribeLogGroups', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:DeleteLogGroup',
    'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource',
  ],
  aws_cloudwatch_metric_alarm: [
    'cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms',
    'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource',
  ],
  aws_cloudwatch_dashboard: ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'],
  aws_sns_topic: [
    'sns:CreateTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:DeleteTopic',
    'sns:TagResource', 'sns:UntagResource', 'sns:ListTagsForResource',
  ],
  aws_sns_topic_subscription: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes'],
};

/** What the AWS provider itself calls for any stack: who the credentials are (its account id). */
export const PROVIDER_ACTIONS = ['sts:GetCallerIdentity'];

/**
 * Resource types a service creates a service-linked role for on first use, which the caller must be
 * allowed to create: a compute environment without a service role uses AWSServiceRoleForBatch
 * (https://docs.aws.amazon.com/batch/latest/userguide/using-service-linked-roles.html).
 */
export const SERVICE_LINKED_ROLES: Record<string, string> = {
  aws_batch_compute_environment: 'batch.amazonaws.com',
};

/** Each AWS SDK v3 client package the code may use, and its service's prefix in IAM actions. */
export const CLIENT_PREFIXES: Record<string, string> = {
  '@aws-sdk/client-batch': 'batch',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-greengrassv2': 'greengrass',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-iot': 'iot',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};

/**
 * Operations authorized by an action of another name, from the Service Authorization Reference's
 * Amazon S3 page (list_amazons3.html): a HEAD is authorized as the GET, a listing as ListBucket.
 */
export const ACTION_OF_OPERATION: Record<string, string> = {
  's3:HeadObject': 's3:GetObject',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:ListObjectsV2': 's3:ListBucket',
};

/** Actions an operation needs besides its own: the reference's "Dependent actions", and tagging on create. */
export const DEPENDENT_ACTIONS: Record<string, string[]> = {
  // A deployment is an IoT job on the target's thing or thing group (list_awsiotgreengrassv2.html);
  // its tags are authorized as TagResource (the same page's operations table).
  'greengrass:CreateDeployment': [
    'iot:CancelJob', 'iot:CreateJob', 'iot:DeleteThingShadow', 'iot:DescribeJob', 'iot:DescribeThing',
    'iot:DescribeThingGroup', 'iot:GetThingShadow', 'iot:UpdateJob', 'iot:UpdateThingShadow', 'greengrass:TagResource',
  ],
  'greengrass:CancelDeployment': [
    'iot:CancelJob', 'iot:DeleteThingShadow', 'iot:DescribeJob', 'iot:DescribeThing',
    'iot:DescribeThingGroup', 'iot:GetThingShadow', 'iot:UpdateJob', 'iot:UpdateThingShadow',
  ],
  'greengrass:DeleteDeployment': ['iot:DeleteJob'],
  // Tags given at creation are authorized as tagging too (list_awsiotgreengrassv2.html, its operations table).
  'greengrass:CreateComponentVersion': ['greengrass:TagResource'],
  'greengrass:AssociateServiceRoleToAccount': ['iam:PassRole'],
  // The instance profile's role is passed; tags given at launch are authorized as CreateTags
  // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
  'ec2:RunInstances': ['iam:PassRole', 'ec2:CreateTags'],
  // Tags given at submission (https://docs.aws.amazon.com/batch/latest/userguide/supported-iam-actions-tagging.html).
  'batch:SubmitJob': ['batch:TagResource'],
};

/** IAM's limit on a managed policy, in characters not counting white space (reference_iam-quotas.html). */
export const MANAGED_POLICY_LIMIT = 6144;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

// ---------------------------------------------------------------------------------------------
// What the stacks contain

type StackJson = {
  resource?: Record<string, Record<string, { name?: unknown }>>;
  data?: Record<string, unknown>;
  terraform?: { backend?: { s3?: { bucket?: string; key?: string; use_lockfile?: boolean } } };
};

const jsonOf = (stack: SynthesizedStack) => stack.json as StackJson;

/** The resource types of a stack, and its data sources as `data.<type>`. */
export function terraformTypes(stack: SynthesizedStack): string[] {
  const json = jsonOf(stack);
  return [...Object.keys(json.resource ?? {}), ...Object.keys(json.data ?? {}).map((type) => `data.${type}`)];
}

/** The types no row of TERRAFORM_ACTIONS covers, with the stacks that make them. */
export function uncoveredTypes(stacks: SynthesizedStack[]): string[] {
  return unique(stacks.flatMap((stack) => terraformTypes(stack).filter((type) => !TERRAFORM_ACTIONS[type]).map((type) => `${type} (stack ${stack.name})`)));
}

function terraformActions(stacks: SynthesizedStack[]): string[] {
  const uncovered = uncoveredTypes(stacks);
  if (uncovered.length) {
    throw new Error(
      `No IAM actions are known for ${uncovered.join(', ')}: add a row to TERRAFORM_ACTIONS in packages/nx-plugin/src/iam-policy.ts ` +
        "with what the AWS provider calls to create, read, update, tag and delete it (the Service Authorization Reference's action names).",
    );
  }
  return stacks.flatMap((stack) => terraformTypes(stack).flatMap((type) => TERRAFORM_ACTIONS[type]));
}

const literal = (value: unknown): value is string => typeof value === 'string' && !value.includes('${');

/** A name after the project's (`<project>-…`, as every resource Pushbutton makes) as `<project>-*`. */
const projectPattern = (name: string, project: string) => (name.startsWith(`${project}-`) ? `${project}-*` : name);

/** The name of every resource of a type as a pattern: literal, from a literal prefix, or `*`. */
function namePatterns(stacks: SynthesizedStack[], type: string, project: string): string[] {
  return sorted(
    stacks.flatMap((stack) =>
      Object.values(jsonOf(stack).resource?.[type] ?? {}).map((body) => {
        const { name, bucket, bucket_prefix: prefix } = body as Record<string, unknown>;
        const exact = literal(name) ? name : literal(bucket) ? bucket : undefined;
        const pattern = exact ?? (literal(prefix) ? `${prefix}*` : '*');
        return projectPattern(pattern, project);
      }),
    ),
  );
}

const iamArns = (stacks: SynthesizedStack[], type: string, kind: string, project: string) =>
  namePatterns(stacks, type, project).map((name) => `arn:aws:iam::*:${kind}/${name}`);

/** The roles the stacks make; the project's by name where they make none. */
function roleArns(stacks: SynthesizedStack[], project: string): string[] {
  const roles = iamArns(stacks, 'aws_iam_role', 'role', project);
  return roles.length ? roles : [`arn:aws:iam::*:role/${project}-*`];
}

/** The buckets the stacks make, with their objects (the state's have statements of their own). */
function bucketArns(stacks: SynthesizedStack[], project: string): string[] {
  const buckets = namePatterns(stacks, 'aws_s3_bucket', project);
  return (buckets.length ? buckets : [`${project}-*`]).flatMap((bucket) => [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
}

/**
 * What Terraform's S3 backend needs: list the bucket, read and write the state, and with the lock
 * file create and delete `<key>.tflock` (https://developer.hashicorp.com/terraform/language/backend/s3#permissions-required).
 */
function stateStatements(stacks: SynthesizedStack[]): PolicyStatement[] {
  const backends = stacks.flatMap((stack) => jsonOf(stack).terraform?.backend?.s3 ?? []).filter((s3) => s3.bucket && s3.key);
  if (!backends.length) return [];
  const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
  const statements: PolicyStatement[] = [
    allow('TerraformStateBucket', ['s3:ListBucket'], sorted(backends.map((b) => `arn:aws:s3:::${b.bucket}`))),
    allow('TerraformState', ['s3:GetObject', 's3:PutObject'], sorted(backends.map((b) => objectArn(b.bucket!, b.key!)))),
  ];
  const locked = backends.filter((b) => b.use_lockfile);
  if (locked.length) {
    statements.push(allow('TerraformStateLock', ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], sorted(locked.map((b) => objectArn(b.bucket!, `${b.key}.tflock`)))));
  }
  return statements;
}

// ---------------------------------------------------------------------------------------------
// What the code sends

export type SdkCallKind = 'command' | 'paginator' | 'waiter';

/** One AWS SDK v3 call found in a source file. */
export interface SdkCall {
  /** Relative to the plugin package. */
  file: string;
  kind: SdkCallKind;
  /** As written, without `Command`, `paginate` or `waitUntil`: `ListJobs`, `InstanceTerminated`. */
  name: string;
  clientPackage: string;
  /** The API operation it sends (a waiter's is the one it polls). */
  operation: string;
  action: string;
}

const PACKAGE_ROOT = join(__dirname, '..');
const STEPS_DIR = join(__dirname, 'steps');

/** How each kind of call is written, in TypeScript and as transpiled (a command's class may be a module's member). */
const CALL_PATTERNS: Record<SdkCallKind, RegExp> = {
  command: /\bnew\s+(?:[\w$]+\.)?([A-Z]\w*)Command\s*\(/g,
  paginator: /\bpaginate([A-Z]\w*)\b/g,
  waiter: /\bwaitUntil([A-Z]\w*)\b/g,
};
const CLIENT_PACKAGE = /['"](@aws-sdk\/client-[a-z0-9-]+)['"]/g;
const RELATIVE_MODULE = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"](\.\.?\/[^'"]+)['"]/g;

interface SourceFile {
  path: string;
  text: string;
  /** The plugin's own modules it imports, resolved. */
  imports: string[];
  clientPackages: string[];
}

const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]);

/** A module path as `require` would find it: the file, or with .ts or .js, or its index. */
function resolveModule(path: string): string | undefined {
  const candidates = [path, `${path}.ts`, `${path}.js`, join(path, 'index.ts'), join(path, 'index.js')];
  if (path.endsWith('.ts')) candidates.push(path.replace(/\.ts$/, '.js'));
  return candidates.find((candidate) => existsSync(candidate) && !candidate.endsWith('.d.ts') && /\.[jt]s$/.test(candidate));
}

function readSource(path: string): SourceFile {
  const text = readFileSync(path, 'utf8');
  const imports = matches(text, RELATIVE_MODULE).flatMap((specifier) => resolveModule(join(dirname(path), specifier)) ?? []);
  return { path, text, imports: unique(imports), clientPackages: unique(matches(text, CLIENT_PACKAGE)) };
}

/** Every file the entries import, directly or through others, within the plugin. */
function sourceClosure(entries: string[]): Map<string, SourceFile> {
  const files = new Map<string, SourceFile>();
  const queue = [...entries];
  while (queue.length) {
    const path = queue.pop()!;
    if (files.has(path)) continue;
    const file = readSource(path);
    files.set(path, file);
    queue.push(...file.imports);
  }
  return files;
}

/** The client packages a file references, then those of everything it imports: where its SDK names come from. */
function clientPackagesNear(file: SourceFile, files: Map<string, SourceFile>): string[][] {
  const seen = new Set<string>([file.path]);
  const queue = [...file.imports];
  const further: string[] = [];
  while (queue.length) {
    const next = files.get(queue.pop()!);
    if (!next || seen.has(next.path)) continue;
    seen.add(next.path);
    further.push(...next.clientPackages);
    queue.push(...next.imports);
  }
  return [file.clientPackages, unique(further)];
}

/** Where a client package is installed, if it is. */
function clientDir(clientPackage: string): string | undefined {
  try {
    return dirname(require.resolve(`${clientPackage}/package.json`));
  } catch {
    return undefined;
  }
}

/** Whether a client package exports the call, by the file its types ship it in. */
function exportsCall(clientPackage: string, kind: SdkCallKind, name: string): boolean {
  const file = { command: `commands/${name}Command.d.ts`, paginator: `pagination/${name}Paginator.d.ts`, waiter: `waiters/waitFor${name}.d.ts` }[kind];
  const dir = clientDir(clientPackage);
  return !!dir && existsSync(join(dir, 'dist-types', file));
}

/** The operation a waiter polls, from its source in the client package. */
function waiterOperation(clientPackage: string, name: string): string {
  const source = join(clientDir(clientPackage)!, 'dist-es', 'waiters', `waitFor${name}.js`);
  const polled = existsSync(source) ? unique(matches(readFileSync(source, 'utf8'), CALL_PATTERNS.command)) : [];
  if (polled.length !== 1) throw new Error(`Cannot tell which operation ${clientPackage}'s waiter ${name} polls (looked in ${source}).`);
  return polled[0];
}

function clientPackageOf(file: SourceFile, files: Map<string, SourceFile>, kind: SdkCallKind, name: string): string {
  const where = relative(PACKAGE_ROOT, file.path);
  const near = clientPackagesNear(file, files);
  for (const packages of near) {
    const exporting = packages.filter((clientPackage) => exportsCall(clientPackage, kind, name));
    if (exporting.length === 1) return exporting[0];
    if (exporting.length > 1) throw new Error(`${where}: ${kind} ${name} is in ${exporting.join(' and ')}; import it from one in that file.`);
  }
  const looked = unique(near.flat());
  throw new Error(`${where}: no installed @aws-sdk client package it imports has the ${kind} ${name} (it imports ${looked.join(', ') || 'none'}).`);
}

function prefixOf(clientPackage: string, where: string): string {
  const prefix = CLIENT_PREFIXES[clientPackage];
  if (!prefix) throw new Error(`${where} uses ${clientPackage}, which has no IAM service prefix: add it to CLIENT_PREFIXES in packages/nx-plugin/src/iam-policy.ts.`);
  return prefix;
}

/** The action that authorizes an operation of a service. */
export function actionOf(prefix: string, operation: string): string {
  const action = `${prefix}:${operation}`;
  return ACTION_OF_OPERATION[action] ?? action;
}

function callsIn(file: SourceFile, files: Map<string, SourceFile>): SdkCall[] {
  const where = relative(PACKAGE_ROOT, file.path);
  return (Object.keys(CALL_PATTERNS) as SdkCallKind[]).flatMap((kind) =>
    unique(matches(file.text, CALL_PATTERNS[kind])).map((name) => {
      const clientPackage = clientPackageOf(file, files, kind, name);
      const operation = kind === 'waiter' ? waiterOperation(clientPackage, name) : name;
      return { file: where, kind, name, clientPackage, operation, action: actionOf(prefixOf(clientPackage, where), operation) };
    }),
  );
}

/** Every AWS SDK call in the entries and what they import. */
export function sdkCalls(entries: string[]): SdkCall[] {
  const files = sourceClosure(entries);
  return [...files.values()].flatMap((file) => callsIn(file, files));
}

/** The steps whose config exists. */
export function stepsPresent(settings: Settings): StepDefinition[] {
  return STEPS.filter((step) => (settings as Record<string, unknown>)[step.settingsKey] !== undefined);
}

/** The stack units of the steps, by name. */
export const stackUnitsOf = (steps: StepDefinition[]) => steps.flatMap((step) => step.units.filter((unit) => unit.kind === 'stack').map((unit) => unit.name));

function moduleFile(path: string): string {
  const file = resolveModule(path);
  if (!file) throw new Error(`Cannot find ${relative(PACKAGE_ROOT, path)}.{ts,js}.`);
  return file;
}

/** The code of the steps' units and commands (stacks aside: they send nothing), from the registry. */
export function stepCodeFiles(steps: StepDefinition[]): string[] {
  return steps.flatMap((step) => [
    ...step.units.filter((unit) => unit.kind !== 'stack').map((unit) => moduleFile(join(STEPS_DIR, unitModule(step, unit)))),
    ...(step.commands ?? []).map((command) => moduleFile(join(STEPS_DIR, commandModule(step, command)))),
  ]);
}

/** What every run shares: each executor and hasher executors.json names (preflight, the state token). */
export function sharedCodeFiles(): string[] {
  const { executors } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'executors.json'), 'utf8')) as {
    executors: Record<string, { implementation: string; hasher?: string }>;
  };
  return unique(Object.values(executors).flatMap(({ implementation, hasher }) => [implementation, ...(hasher ? [hasher] : [])]).map((path) => moduleFile(join(PACKAGE_ROOT, path))));
}

// ---------------------------------------------------------------------------------------------
// The policy

function allow(Sid: string, actions: string[], resource: string | string[], Condition?: PolicyStatement['Condition']): PolicyStatement {
  return { Sid, Effect: 'Allow', Action: sorted(actions), Resource: resource, ...(Condition && { Condition }) };
}

/** `ec2` → `Ec2`: a statement id (alphanumeric) per service. */
const sidOf = (prefix: string) => prefix.replace(/[^a-z0-9]/gi, '').replace(/^./, (c) => c.toUpperCase());

/** Every action the code and the stacks need, with the actions each depends on. */
function neededActions(stacks: SynthesizedStack[], calls: SdkCall[]): string[] {
  const direct = [...(stacks.length ? PROVIDER_ACTIONS : []), ...terraformActions(stacks), ...calls.map((call) => call.action)];
  return sorted([...direct, ...direct.flatMap((action) => DEPENDENT_ACTIONS[action] ?? [])]);
}

/**
 * Where a service's actions apply: IAM's and S3's only to what the project makes (IAM's to its roles
 * and instance profiles: iam:PutRolePolicy on any role would be any permission), others' to `*`
 * (EC2, IoT and Batch resources are known by ids AWS gives them).
 */
function resourcesOf(prefix: string, stacks: SynthesizedStack[], project: string): string | string[] {
  if (prefix === 's3') return bucketArns(stacks, project);
  if (prefix !== 'iam') return '*';
  return [...roleArns(stacks, project), ...iamArns(stacks, 'aws_iam_instance_profile', 'instance-profile', project)];
}

/** One statement per service, and passing the project's roles in one of its own. */
function serviceStatements(actions: string[], stacks: SynthesizedStack[], project: string): PolicyStatement[] {
  const byPrefix = new Map<string, string[]>();
  for (const action of actions) {
    if (action === 'iam:PassRole') continue;
    const prefix = action.split(':')[0];
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), action]);
  }
  const statements = [...byPrefix.keys()].sort().map((prefix) => allow(sidOf(prefix), byPrefix.get(prefix)!, resourcesOf(prefix, stacks, project)));
  if (actions.includes('iam:PassRole')) statements.push(allow('PassProjectRoles', ['iam:PassRole'], roleArns(stacks, project)));
  return statements;
}

function serviceLinkedRoleStatements(stacks: SynthesizedStack[]): PolicyStatement[] {
  const services = sorted(stacks.flatMap((stack) => terraformTypes(stack).flatMap((type) => SERVICE_LINKED_ROLES[type] ?? [])));
  return services.map((service) =>
    allow(`${sidOf(service.split('.')[0])}ServiceLinkedRole`, ['iam:CreateServiceLinkedRole'], `arn:aws:iam::*:role/aws-service-role/${service}/*`, {
      StringEquals: { 'iam:AWSServiceName': service },
    }),
  );
}

/** Characters as IAM counts them against its quotas: white space aside. */
export function policySize(policy: PolicyDocument): number {
  return JSON.stringify(policy).replace(/\s/g, '').length;
}

/** Read-only by AWS's naming, in the order they are written as wildcards when a policy must be shorter. */
const WILDCARD_VERBS = ['Describe', 'List'];

/**
 * Only where the exact policy is over IAM's limit: a service's Describe actions as `<prefix>:Describe*`,
 * then its List actions as `<prefix>:List*`, the one saving most first, until it fits.
 */
function fitToLimit(policy: PolicyDocument): string[] {
  const wildcards: string[] = [];
  for (const verb of WILDCARD_VERBS) {
    const pattern = new RegExp(`^[\\w-]+:${verb}\\w+$`);
    const candidates = policy.Statement.map((statement) => ({ statement, matching: statement.Action.filter((a) => pattern.test(a)) }))
      .filter(({ matching }) => matching.length > 1)
      .sort((a, b) => b.matching.join().length - a.matching.join().length);
    for (const { statement, matching } of candidates) {
      if (policySize(policy) <= MANAGED_POLICY_LIMIT) return wildcards;
      const wildcard = `${matching[0].split(':')[0]}:${verb}*`;
      statement.Action = sorted([...statement.Action.filter((a) => !matching.includes(a)), wildcard]);
      wildcards.push(wildcard);
    }
  }
  return wildcards;
}

export interface PolicyInputs {
  /** The project's name, which prefixes the name of every resource it makes. */
  project: string;
  /** The synthesized stacks of the steps present. */
  stacks: SynthesizedStack[];
  /** What the code of the steps present and the executors sends. */
  calls: SdkCall[];
}

export interface DerivedPolicy {
  policy: PolicyDocument;
  /** Characters as IAM counts them. */
  size: number;
  /** The wildcards used to fit IAM's limit (none when the exact policy fits). */
  wildcards: string[];
  /** Why it may not work as it is (over IAM's limit). */
  warnings: string[];
}

/** The policy that provisions and destroys the stacks and runs the code that sends the calls. */
export function derivePolicy({ project, stacks, calls }: PolicyInputs): DerivedPolicy {
  const actions = neededActions(stacks, calls);
  const policy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [...serviceStatements(actions, stacks, project), ...serviceLinkedRoleStatements(stacks), ...stateStatements(stacks)],
  };
  const wildcards = fitToLimit(policy);
  const size = policySize(policy);
  const warnings =
    size > MANAGED_POLICY_LIMIT
      ? [`The policy has ${size} characters, over IAM's ${MANAGED_POLICY_LIMIT} for a managed policy (reference_iam-quotas.html): split its statements into two policies.`]
      : [];
  return { policy, size, wildcards, warnings };
}

/** One line on how the policy was derived, for the person running it. */
export function derivationSummary({ stacks, calls }: PolicyInputs, derived: DerivedPolicy): string {
  const types = unique(stacks.flatMap(terraformTypes)).length;
  const operations = unique(calls.map((call) => `${call.clientPackage} ${call.operation}`)).length;
  const files = unique(calls.map((call) => call.file)).length;
  const fitted = derived.wildcards.length ? `; to fit, ${derived.wildcards.join(', ')}` : '';
  return (
    `IAM policy derived from the stacks ${stacks.map((s) => s.name).join(', ') || '(none)'} (${types} resource types) ` +
    `and ${operations} AWS SDK operations in ${files} files of Pushbutton's code: ${derived.size} of IAM's ${MANAGED_POLICY_LIMIT} characters${fitted}.`
  );
}
