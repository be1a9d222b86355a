// The operator's IAM policy (`nx run infra:iam-policy`): derived from the stacks and the code, so a
// stack that adds a resource type, or code that sends an AWS call, that the policy does not cover
// fails here; and every action it names is one AWS's service models know.
import type { ExecutorContext } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Settings, synthesize } from '@pushbutton/stacks';
import iamPolicyExecutor, { IamPolicyExecutorOptions } from '../src/executors/iam-policy/executor';
import { loadConfig } from '../src/config/load-config';
import {
  ACTION_OF_OPERATION,
  CLIENT_PREFIXES,
  DEPENDENT_ACTIONS,
  derivePolicy,
  MANAGED_POLICY_LIMIT,
  PolicyDocument,
  PROVIDER_ACTIONS,
  SdkCall,
  sdkCalls,
  sharedCodeFiles,
  stackUnitsOf,
  stepCodeFiles,
  stepsPresent,
  TERRAFORM_ACTIONS,
  terraformTypes,
  uncoveredTypes,
} from '../src/iam-policy';
import { paths } from '../src/paths';
import { codeOf } from '../src/steps/kinds';
import { STEPS } from '../src/steps/registry';
import { SynthesizedStack } from '../src/terraform/synthesized-stack';

const WORKSPACE = join(__dirname, '../../..');
const PLUGIN = join(__dirname, '..');
const STACKS = codeOf('stack');
const OPERATIONS_SCRIPT = join(WORKSPACE, 'tools/ci/aws-operations.py');
const { BOTOCORE_PYTHON } = require('../../../tools/ci/system-tools') as { BOTOCORE_PYTHON: string };

/** The sample config, and one with every option that adds a resource type or a statement. */
function variants(): Record<string, Settings> {
  const sample = loadConfig(WORKSPACE, 'config');
  const everything = structuredClone(sample);
  everything.project.state = { backend: 's3', bucket: 'team-terraform-state', keyPrefix: 'pushbutton', region: 'us-west-2', useLockfile: true };
  everything.network!.ingress = { lab: { description: 'From the lab', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.0/24' } };
  everything.workflows!.monitoring.alarmEmail = 'oncall@example.com';
  everything.workflows!.launch.engine = 'ec2';
  // A custom component: the core-account stack adds the component bucket.
  const component = 'com.pushbutton.HelloWorld';
  everything.core!.customComponents = { [component]: { name: component, version: '1.0.0', recipeFile: `components/${component}/recipe.yaml`, artifacts: ['hello.sh'] } };
  return { sample, everything };
}

/** Every stack of the settings, synthesized under `root`. */
function synthesizeAll(root: string, settings: Settings): SynthesizedStack[] {
  return stackUnitsOf(stepsPresent(settings)).map((name) => {
    synthesize(STACKS[name], name, settings, join(root, paths.synthDir(name)));
    return SynthesizedStack.read(root, name);
  });
}

/** Whether an IAM action pattern (`ec2:Describe*`) covers an action; IAM compares them ignoring case. */
const covers = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

const allows = (policy: PolicyDocument, action: string) => policy.Statement.some((s) => s.Action.some((pattern) => covers(pattern, action)));
const statement = (policy: PolicyDocument, sid: string) => policy.Statement.find((s) => s.Sid === sid);

let root: string;
const stacksOf: Record<string, SynthesizedStack[]> = {};
let settingsOf: Record<string, Settings>;
let everyCall: SdkCall[];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-iam-policy-'));
  settingsOf = variants();
  for (const [name, settings] of Object.entries(settingsOf)) stacksOf[name] = synthesizeAll(join(root, name), settings);
  everyCall = sdkCalls([...stepCodeFiles(STEPS), ...sharedCodeFiles()]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const policyOf = (variant: string) =>
  derivePolicy({ project: settingsOf[variant].project.name, stacks: stacksOf[variant], calls: everyCall });

describe('resource types', () => {
  it('has a row for every resource type the stacks make, with every option', () => {
    for (const [variant, stacks] of Object.entries(stacksOf)) {
      expect(uncoveredTypes(stacks), `${variant}: types with no row in TERRAFORM_ACTIONS (src/iam-policy.ts)`).toEqual([]);
    }
    const made = new Set(Object.values(stacksOf).flat().flatMap(terraformTypes));
    for (const type of ['aws_vpc', 'aws_iot_thing', 'aws_batch_job_queue', 'aws_vpc_security_group_ingress_rule', 'aws_sns_topic_subscription']) {
      expect(made.has(type), `the variants make ${type}`).toBe(true);
    }
  });

  it('keeps no row for a type no stack makes', () => {
    const made = new Set(Object.values(stacksOf).flat().flatMap(terraformTypes));
    expect(Object.keys(TERRAFORM_ACTIONS).filter((type) => !made.has(type))).toEqual([]);
  });

  it('stops at a resource type with no row, naming it and its stack', () => {
    const stack = new SynthesizedStack('lab', 'lab.tf.json', { resource: { aws_vpc: { vpc: {} }, aws_made_up_thing: { thing: {} } } });
    expect(() => derivePolicy({ project: 'demo', stacks: [stack], calls: [] })).toThrow(/aws_made_up_thing \(stack lab\).*TERRAFORM_ACTIONS/s);
  });

  it('allows every action of every type the stacks make', () => {
    for (const variant of Object.keys(stacksOf)) {
      const { policy } = policyOf(variant);
      for (const action of stacksOf[variant].flatMap(terraformTypes).flatMap((type) => TERRAFORM_ACTIONS[type])) {
        expect(allows(policy, action), `${variant}: ${action}`).toBe(true);
      }
    }
  });
});

describe('AWS SDK calls', () => {
  const actions = () => new Set(everyCall.map((call) => call.action));

  it("finds the calls of every step's effects and commands, and of the executors", () => {
    expect(everyCall.length).toBeGreaterThan(20);
    for (const action of [
      'greengrass:CreateDeployment', // core-deploy
      'greengrass:AssociateServiceRoleToAccount', // core-account-link
      'iot:DescribeEndpoint', // core-account-link
      'batch:SubmitJob', // workflow-launch, through the Batch engine
      'ec2:RunInstances', // workflow-launch, through the EC2 engine
      'logs:GetLogEvents', // the logs command
      's3:ListBucket', // ListObjectsV2, through results.ts
      'sts:GetCallerIdentity', // preflight, the state token
      'greengrass:ListInstalledComponents', // the state token (the hasher)
    ]) {
      expect(actions().has(action), action).toBe(true);
    }
    // A waiter is the operation it polls.
    expect(everyCall.find((call) => call.kind === 'waiter')).toMatchObject({ name: 'InstanceTerminated', action: 'ec2:DescribeInstances' });
  });

  it('reads every source file of the plugin that sends an AWS call', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const path = join(dir, entry);
        return statSync(path).isDirectory() ? sources(path) : /\.[jt]s$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
      });
    const files = sources(join(PLUGIN, 'src'));
    const scanned = new Set(everyCall.map((call) => call.file));
    const sending = files.filter((file) => /\bnew\s+(?:[\w$]+\.)?[A-Z]\w*Command\s*\(|\b(?:paginate|waitUntil)[A-Z]/.test(readFileSync(file, 'utf8')));
    expect(sending.map((file) => file.slice(PLUGIN.length + 1)).filter((file) => !scanned.has(file))).toEqual([]);

    // Every command, paginator and waiter a module takes from a client (imported, not as a type only, or
    // destructured from the client it loads when a call needs it: `const { X } = await greengrassSdk()`)
    // is a call found in it.
    const found = new Set(everyCall.map((call) => `${call.clientPackage} ${call.name}`));
    const texts = files.map((file) => readFileSync(file, 'utf8'));
    const lazyClients = new Map(texts.flatMap((text) => [...text.matchAll(/(\w+Sdk)\s*=\s*\(\)\s*=>\s*import\('(@aws-sdk\/client-[\w-]+)'\)/g)].map(([, sdk, client]) => [sdk, client])));
    expect([...lazyClients.keys()].sort()).toEqual(['batchSdk', 'ec2Sdk', 'greengrassSdk', 'iotSdk', 'logsSdk', 's3Sdk']);
    const taken = texts.flatMap((text) => [
      ...[...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[\w-]+)'/g)].map(([, names, client]) => ({ names, client })),
      ...[...text.matchAll(/const\s*\{([^}]*)\}\s*=\s*await\s+(\w+Sdk)\(\)/g)].map(([, names, sdk]) => ({ names, client: lazyClients.get(sdk) })),
    ]);
    const imported = taken.flatMap(({ names, client }) =>
      names.split(',').map((name) => name.trim()).flatMap((name) => {
        const call = /^(?:([A-Z]\w*)Command|paginate([A-Z]\w*)|waitUntil([A-Z]\w*))$/.exec(name);
        return call ? [`${client} ${call[1] ?? call[2] ?? call[3]}`] : [];
      }),
    );
    expect(imported.length).toBeGreaterThan(10);
    expect(imported.filter((call) => !found.has(call))).toEqual([]);
  });

  it('allows every call, and the actions each depends on', () => {
    const { policy } = policyOf('sample');
    for (const call of everyCall) {
      expect(allows(policy, call.action), `${call.file}: ${call.name} (${call.action})`).toBe(true);
      for (const dependent of DEPENDENT_ACTIONS[call.action] ?? []) expect(allows(policy, dependent), `${call.action} needs ${dependent}`).toBe(true);
    }
  });

  it("finds a call in a module an effect imports, and stops at a call it cannot place or a client whose prefix it does not know", () => {
    const dir = mkdtempSync(join(root, 'code-'));
    writeFileSync(join(dir, 'effect.ts'), "import { listThings } from './things';\nexport default { apply: listThings };\n");
    writeFileSync(
      join(dir, 'things.ts'),
      "import { IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';\nexport const listThings = () => new IoTClient({}).send(new ListThingsCommand({}));\n",
    );
    const calls = sdkCalls([join(dir, 'effect.ts')]);
    expect(calls).toEqual([expect.objectContaining({ name: 'ListThings', clientPackage: '@aws-sdk/client-iot', action: 'iot:ListThings' })]);
    expect(allows(derivePolicy({ project: 'demo', stacks: [], calls }).policy, 'iot:ListThings')).toBe(true);

    writeFileSync(join(dir, 'queue.ts'), "import { SendMessageCommand } from '@aws-sdk/client-sqs';\nexport const send = (client: any) => client.send(new SendMessageCommand({}));\n");
    expect(() => sdkCalls([join(dir, 'queue.ts')])).toThrow(/no installed @aws-sdk client package it imports has the command SendMessage \(it imports @aws-sdk\/client-sqs\)/);

    const prefix = CLIENT_PREFIXES['@aws-sdk/client-iot'];
    delete CLIENT_PREFIXES['@aws-sdk/client-iot'];
    try {
      expect(() => sdkCalls([join(dir, 'effect.ts')])).toThrow(/things\.ts uses @aws-sdk\/client-iot, which has no IAM service prefix/);
    } finally {
      CLIENT_PREFIXES['@aws-sdk/client-iot'] = prefix;
    }
  });

  it('has a prefix for every AWS SDK client the plugin depends on', () => {
    const { dependencies } = JSON.parse(readFileSync(join(PLUGIN, 'package.json'), 'utf8'));
    const clients = Object.keys(dependencies).filter((name) => name.startsWith('@aws-sdk/client-'));
    expect(clients.filter((client) => !CLIENT_PREFIXES[client])).toEqual([]);
  });
});

describe('action names', () => {
  /** Each IAM service prefix's botocore models: Greengrass V2 shares V1's prefix, IoT's data plane (shadows) the control plane's. */
  const MODELS: Record<string, string[]> = {
    batch: ['batch'],
    cloudwatch: ['cloudwatch'],
    ec2: ['ec2'],
    greengrass: ['greengrassv2', 'greengrass'],
    iam: ['iam'],
    iot: ['iot', 'iot-data'],
    logs: ['logs'],
    s3: ['s3'],
    sns: ['sns'],
    ssm: ['ssm'],
    sts: ['sts'],
  };
  /**
   * Actions that are not the name of an API operation, as the Service Authorization Reference names
   * them: passing a role (id_roles_use_passrole.html) and S3's (list_amazons3.html), e.g. GetBucketEncryption
   * is s3:GetEncryptionConfiguration, ListObjectVersions s3:ListBucketVersions.
   */
  const NOT_OPERATIONS = [
    'iam:PassRole',
    's3:DeleteObjectVersion',
    's3:GetAccelerateConfiguration',
    's3:GetBucketObjectLockConfiguration',
    's3:GetBucketPublicAccessBlock',
    's3:GetEncryptionConfiguration',
    's3:GetLifecycleConfiguration',
    's3:GetReplicationConfiguration',
    's3:ListBucket',
    's3:ListBucketVersions',
    's3:PutBucketPublicAccessBlock',
    's3:PutEncryptionConfiguration',
  ];
  const named = () =>
    [
      ...PROVIDER_ACTIONS,
      ...Object.values(TERRAFORM_ACTIONS).flat(),
      ...Object.entries(DEPENDENT_ACTIONS).flat(2),
      ...Object.values(ACTION_OF_OPERATION),
      ...everyCall.map((call) => call.action),
    ].filter((action, i, all) => all.indexOf(action) === i);

  /** Each service's operations: botocore's models, and the commands of its installed SDK client (newer than a distribution's botocore). */
  function operationsByPrefix(): Record<string, Set<string>> {
    const services = [...new Set(Object.values(MODELS).flat())];
    const result = spawnSync(BOTOCORE_PYTHON, [OPERATIONS_SCRIPT], { input: JSON.stringify(services), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(result.status, `${OPERATIONS_SCRIPT} (python3 with botocore: apt-get install python3-botocore):\n${result.stderr}`).toBe(0);
    const models: Record<string, string[]> = JSON.parse(result.stdout);
    const operations: Record<string, Set<string>> = {};
    for (const [prefix, names] of Object.entries(MODELS)) operations[prefix] = new Set(names.flatMap((service) => models[service]).map((op) => op.toLowerCase()));
    for (const [client, prefix] of Object.entries(CLIENT_PREFIXES)) {
      let commands: string[] = [];
      try {
        commands = readdirSync(join(dirname(require.resolve(`${client}/package.json`)), 'dist-types/commands'));
      } catch {
        continue; // not installed
      }
      for (const file of commands.filter((f) => f.endsWith('Command.d.ts'))) operations[prefix].add(file.replace(/Command\.d\.ts$/, '').toLowerCase());
    }
    return operations;
  }

  it('names only operations of the services (IAM ignores case), or actions the reference documents', () => {
    const operations = operationsByPrefix();
    const known = (action: string) => {
      const [prefix, operation] = action.split(':');
      return !!operations[prefix]?.has(operation.toLowerCase());
    };
    const unknown = named().filter((action) => !known(action) && !NOT_OPERATIONS.includes(action));
    expect(unknown).toEqual([]);
    // Each exception is needed, and is not an operation after all.
    expect(NOT_OPERATIONS.filter((action) => !named().includes(action) || known(action))).toEqual([]);
  });

  it('has a model for every prefix it names', () => {
    const prefixes = new Set([...named().map((action) => action.split(':')[0]), ...Object.values(CLIENT_PREFIXES)]);
    expect([...prefixes].filter((prefix) => !MODELS[prefix])).toEqual([]);
  });
});

describe('the policy', () => {
  it("fits IAM's managed policy limit, for the sample config and with every option", () => {
    for (const variant of Object.keys(stacksOf)) {
      const derived = policyOf(variant);
      expect(derived.size, variant).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
      expect(derived.warnings, variant).toEqual([]);
      expect(derived.wildcards.every((wildcard) => /^[a-z0-9-]+:(Describe|List)\*$/.test(wildcard)), derived.wildcards.join()).toBe(true);
    }
  });

  it("scopes IAM and S3 to the project's own roles, instance profiles and buckets", () => {
    const { policy } = policyOf('sample');
    expect(statement(policy, 'Iam')?.Resource).toEqual(['arn:aws:iam::*:role/pushbutton-demo-*', 'arn:aws:iam::*:instance-profile/pushbutton-demo-*']);
    expect(statement(policy, 'PassProjectRoles')).toMatchObject({ Action: ['iam:PassRole'], Resource: ['arn:aws:iam::*:role/pushbutton-demo-*'] });
    expect(statement(policy, 'S3')?.Resource).toEqual(['arn:aws:s3:::pushbutton-demo-*', 'arn:aws:s3:::pushbutton-demo-*/*']);
    expect(statement(policy, 'BatchServiceLinkedRole')).toMatchObject({
      Action: ['iam:CreateServiceLinkedRole'],
      Condition: { StringEquals: { 'iam:AWSServiceName': 'batch.amazonaws.com' } },
    });
    const roles = stacksOf.sample.flatMap((stack) => Object.values(stack.json.resource?.aws_iam_role ?? {}).map((role) => (role as { name: string }).name));
    expect(roles.length).toBeGreaterThan(3);
    for (const role of roles) expect(covers('pushbutton-demo-*', role), role).toBe(true);
  });

  it("with custom components: makes the component bucket, uploads to it, and creates and tags component versions", () => {
    const { policy } = policyOf('everything');
    expect(stacksOf.everything.flatMap((stack) => Object.values(stack.json.resource?.aws_s3_bucket ?? {}).map((b) => (b as { bucket_prefix: string }).bucket_prefix))).toEqual(
      expect.arrayContaining(['pushbutton-demo-components-']),
    );
    for (const action of ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 'greengrass:CreateComponentVersion', 'greengrass:TagResource', 'greengrass:DescribeComponent', 'greengrass:DeleteComponent', 'greengrass:ListComponentVersions']) {
      expect(allows(policy, action), action).toBe(true);
    }
    // Tags given at creation are authorized as TagResource (list_awsiotgreengrassv2.html).
    expect(DEPENDENT_ACTIONS['greengrass:CreateComponentVersion']).toContain('greengrass:TagResource');
    expect(JSON.stringify(statement(policy, 'S3')?.Resource)).toContain('arn:aws:s3:::pushbutton-demo-');
  });

  it('lets Terraform keep its state in S3 only where a stack does, on its own keys and lock files', () => {
    expect(policyOf('sample').policy.Statement.filter((s) => s.Sid.startsWith('TerraformState'))).toEqual([]);
    const { policy } = policyOf('everything');
    const keys = stackUnitsOf(stepsPresent(settingsOf.everything)).map((stack) => `arn:aws:s3:::team-terraform-state/pushbutton/${stack}.tfstate`).sort();
    expect(statement(policy, 'TerraformStateBucket')).toMatchObject({ Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::team-terraform-state'] });
    expect(statement(policy, 'TerraformState')).toMatchObject({ Action: ['s3:GetObject', 's3:PutObject'], Resource: keys });
    expect(statement(policy, 'TerraformStateLock')).toMatchObject({
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: keys.map((key) => `${key}.tflock`),
    });
    // The state bucket is not the project's: nothing else applies to it.
    expect(JSON.stringify(statement(policy, 'S3'))).not.toContain('team-terraform-state');
  });

  it("over IAM's limit, writes each service's Describe actions as one wildcard, then warns", () => {
    const call = (action: string): SdkCall => ({ file: 'x.ts', kind: 'command', name: action, clientPackage: '', operation: '', action });
    const describes = Array.from({ length: 300 }, (_, i) => call(`ec2:DescribeSomethingRatherLong${i}`));
    const fitted = derivePolicy({ project: 'demo', stacks: [], calls: describes });
    expect(fitted.wildcards).toEqual(['ec2:Describe*']);
    expect(statement(fitted.policy, 'Ec2')?.Action).toEqual(['ec2:Describe*']);
    expect(fitted.warnings).toEqual([]);

    const writes = Array.from({ length: 300 }, (_, i) => call(`ec2:ModifySomethingRatherLong${i}`));
    const over = derivePolicy({ project: 'demo', stacks: [], calls: writes });
    expect(over.size).toBeGreaterThan(MANAGED_POLICY_LIMIT);
    expect(over.warnings).toEqual([expect.stringMatching(/over IAM's 6144 for a managed policy/)]);
  });
});

describe('the iam-policy executor', () => {
  let workspace: string;
  let stdout: string;
  let stderr: string;

  const context = (): ExecutorContext =>
    ({
      root: workspace,
      cwd: workspace,
      isVerbose: false,
      projectName: 'infra',
      projectsConfigurations: { version: 2, projects: { infra: { root: 'config' } } },
    }) as unknown as ExecutorContext;

  /** Runs the executor as Nx would after the synths, capturing what it writes. */
  async function run(options: IamPolicyExecutorOptions = {}): Promise<{ success: boolean }> {
    stdout = '';
    stderr = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const log = jest.spyOn(console, 'error').mockImplementation((...args) => void (stderr += `${args.join(' ')}\n`));
    try {
      return await iamPolicyExecutor(options, context());
    } finally {
      out.mockRestore();
      err.mockRestore();
      log.mockRestore();
    }
  }

  beforeAll(() => {
    workspace = mkdtempSync(join(root, 'workspace-'));
    mkdirSync(join(workspace, 'config'));
    for (const file of readdirSync(join(WORKSPACE, 'config')).filter((f) => f.endsWith('.yaml'))) cpSync(join(WORKSPACE, 'config', file), join(workspace, 'config', file));
    synthesizeAll(workspace, loadConfig(workspace, 'config'));
  });

  it('prints the policy document alone on stdout, and how it was derived on stderr', async () => {
    await expect(run()).resolves.toEqual({ success: true });
    const policy: PolicyDocument = JSON.parse(stdout);
    expect(policy.Version).toBe('2012-10-17');
    expect(allows(policy, 'batch:SubmitJob')).toBe(true);
    expect(allows(policy, 'greengrass:CreateDeployment')).toBe(true);
    expect(stderr).toMatch(/^IAM policy derived from the stacks network, core-account, core-devices, workflow \(\d+ resource types\) and \d+ AWS SDK operations/);
  });

  it('writes the document to a file too, as Nx prints the synths on stdout as well', async () => {
    await expect(run({ out: 'policy.json' })).resolves.toEqual({ success: true });
    expect(readFileSync(join(workspace, 'policy.json'), 'utf8')).toBe(stdout);
    expect(stderr).toContain('aws iam create-policy --policy-name <name> --policy-document file://policy.json');
  });

  it('follows the config: without the workflow step, no Batch, no EC2 workers, no results bucket', async () => {
    rmSync(join(workspace, 'config', 'workflows.yaml'));
    await expect(run()).resolves.toEqual({ success: true });
    const policy: PolicyDocument = JSON.parse(stdout);
    expect(policy.Statement.flatMap((s) => s.Action).filter((action) => action.startsWith('batch:'))).toEqual([]);
    for (const action of ['ec2:RunInstances', 's3:CreateBucket', 'logs:CreateLogGroup']) expect(allows(policy, action), action).toBe(false);
    expect(allows(policy, 'greengrass:CreateDeployment')).toBe(true);
    expect(stderr).toContain('the stacks network, core-account, core-devices (');
  });

  it('says which synth to run when a stack was not synthesized', async () => {
    rmSync(join(workspace, paths.synthDir('network')), { recursive: true });
    await expect(run()).resolves.toEqual({ success: false });
    expect(stderr).toContain('run `nx run infra:network-synth` first');
    expect(stdout).toBe('');
  });
});
