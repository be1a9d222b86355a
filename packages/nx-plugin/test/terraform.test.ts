// The Terraform-backed suite: the real binary, providers from the mirror or cache Terraform is
// configured with (PUSHBUTTON_TF_PLUGIN_DIR / TF_CLI_CONFIG_FILE), one plugin cache for every stack.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { synthesize } from '@pushbutton/stacks';
import { BATCH_BOOTSTRAP } from '@pushbutton/stacks/src/workflow/batch';
import { resultsBucketPrefix } from '@pushbutton/stacks/src/workflow/settings';
import { codeOf } from '../src/steps/kinds';
import { loadConfig } from '../src/config/load-config';
import { writeFacts } from '../src/facts';
import { paths } from '../src/paths';
import { preflight } from '../src/terraform/preflight';
import { alive } from '../src/unit-lock';
import { installedProvider } from '../src/terraform/attached-providers';
import { MOCK_ACCOUNT, mockId } from '../src/terraform/rehearsal';
import { ApplyResult, applyStack, REHEARSAL_ENV, StackRun } from '../src/terraform/stack-run';
import { SynthesizedStack } from '../src/terraform/synthesized-stack';
import { captureTerraform, parseMessage, resolveTerraformCli, runTerraform, TerraformError, terraformEnv } from '../src/terraform/terraform-cli';

// Each block's setup applies stacks with Terraform: minutes under load, not seconds.
jest.setTimeout(180_000);

const WORKSPACE = join(__dirname, '../../..');
const STACKS = codeOf('stack');
process.env.TF_PLUGIN_CACHE_DIR ??= join(tmpdir(), 'pushbutton-tf-plugin-cache');

let root: string;
const printed: string[] = [];

function rehearsal(stack: string): StackRun {
  return {
    workspaceRoot: root,
    stack: SynthesizedStack.read(root, stack),
    mode: 'rehearse',
    account: MOCK_ACCOUNT,
    cli: resolveTerraformCli({}),
    readsFactsOf: [],
    print: (text) => printed.push(text),
  };
}

/** The inits rehearsals share (one per set of providers and where they come from). */
const sharedInits = () => readdirSync(join(root, paths.rehearsalInitDir()));

/** Terraform's environment in a rehearsal, with the data directory of the one init the stacks share. */
function rehearsalEnv(): NodeJS.ProcessEnv {
  const [init] = sharedInits();
  return terraformEnv({ ...REHEARSAL_ENV, TF_DATA_DIR: join(root, paths.rehearsalInitDir(init), '.terraform') });
}

/** The Terraform commands a log shows being run. */
const commandsIn = (log: string) => [...log.matchAll(/^> \S*terraform\S* (\w+)/gm)].map((m) => m[1]);

/** Applies the stack in rehearse mode, as `change` changes its run; returns its result and what it printed. */
async function rehearse(stack: string, change: Partial<StackRun> = {}): Promise<[ApplyResult, string]> {
  const from = printed.length;
  const result = await applyStack({ ...rehearsal(stack), ...change });
  return [result, stripVTControlCharacters(printed.slice(from).join('\n'))];
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-terraform-'));
  const config = loadConfig(WORKSPACE, 'config');
  synthesize(STACKS['network'], 'network', config, join(root, paths.synthDir('network')));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the network stack under Terraform', () => {
  it('passes preflight: a Terraform >= 1.7 and the AWS provider are available', async () => {
    const run = rehearsal('network');
    await expect(preflight('rehearse', 'rehearse', run.cli, run.stack, run.stack.region())).resolves.toEqual({ account: undefined });
  });

  it('inits from the mirror, then validates, plans and applies against the mock provider in one terraform test', async () => {
    const result = await applyStack(rehearsal('network'));
    const log = stripVTControlCharacters(printed.join('\n'));
    expect(commandsIn(log)).toEqual(['init', 'test']);
    expect(log).toMatch(/Plan: 8 to add, 0 to change, 0 to destroy/);
    expect(log).toContain('  + aws_vpc.vpc will be created');
    expect(log).toContain('Success! 1 passed, 0 failed.');

    expect(sharedInits()).toHaveLength(1);
    const providerDir = join(root, paths.rehearsalInitDir(sharedInits()[0]), '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0');
    expect(existsSync(providerDir)).toBe(true);
    expect(result.resources).toHaveLength(8);
    expect(result.values).toEqual({
      vpc_id: mockId('aws_vpc.vpc'),
      subnet_id: mockId('aws_subnet.subnet'),
      security_group_id: mockId('aws_security_group.security_group'),
    });
    expect(result.values.vpc_id).toMatch(/^vpc-[0-9a-f]{17}$/);

    const facts = JSON.parse(readFileSync(join(root, result.factsFile), 'utf8'));
    expect(facts).toMatchObject({ unit: 'network', mode: 'rehearse', rehearsal: true, values: result.values });
    const recorded = JSON.parse(readFileSync(join(root, paths.rehearsalStateFile('network')), 'utf8'));
    expect(recorded.resources).toEqual(result.resources);
  });

  it("reads terraform test's -verbose state line without the provider schemas it carries", async () => {
    const dir = join(root, paths.workDir('rehearse', 'network'));
    const lines = (await captureTerraform(resolveTerraformCli({}), ['test', '-json', '-verbose'], { cwd: dir, env: rehearsalEnv() })).split('\n');
    const stateLine = lines.find((line) => line.includes('"type":"test_state"'))!;
    expect(stateLine.length).toBeGreaterThan(1_000_000);
    const { provider_schemas, provider_format_version, ...state } = JSON.parse(stateLine).test_state;
    expect(Object.keys(provider_schemas)).toEqual(['registry.terraform.io/hashicorp/aws']);
    const message = parseMessage(Buffer.from(stateLine));
    expect(message.type).toBe('test_state');
    expect(message.test_state).toEqual(state);
    expect(provider_format_version).toBeDefined();
  });

  it('parses a line whole when what looks like the schemas key is a value of its own', () => {
    const lookalike = { provider_format_version: '1.0', provider_schemas: { padding: 'x'.repeat(200_000) } };
    const line = JSON.stringify({ '@message': 'state', test_state: { outputs: { odd: { value: lookalike } } }, type: 'test_state' });
    expect(parseMessage(Buffer.from(line))).toEqual(JSON.parse(line));
  });

  it("runs Terraform with Go's collector at a lower CPU cost, unless the environment chooses", () => {
    expect(terraformEnv({}, {}).GOGC).toBe('400');
    expect(terraformEnv({}, { GOGC: '100' }).GOGC).toBe('100');
  });

  /** Applies a copy of the network stack changed by `breakIt`; gives back the failure. */
  async function applyBroken(breakIt: (resource: Record<string, Record<string, Record<string, unknown>>>) => void, change: Partial<StackRun> = {}): Promise<TerraformError> {
    const broken = SynthesizedStack.read(root, 'network');
    breakIt(broken.json.resource as Record<string, Record<string, Record<string, unknown>>>);
    const file = join(root, 'broken.tf.json');
    writeFileSync(file, JSON.stringify(broken.json));
    rmSync(join(root, paths.factsFile('rehearse', 'network')), { force: true });
    const run = { ...rehearsal('network'), stack: new SynthesizedStack('network', file, broken.json), ...change };
    return applyStack(run).catch((error) => error);
  }

  it("stops with Terraform's own message when the configuration is invalid (what validate caught), and hands on no facts", async () => {
    const failure = await applyBroken((resource) => (resource.aws_vpc.vpc.no_such_argument = true));
    expect(failure).toBeInstanceOf(TerraformError);
    expect(failure.command).toMatch(/test -json -verbose$/);
    expect(failure.output).toContain('No argument or block type is named "no_such_argument"');
    expect(existsSync(join(root, paths.factsFile('rehearse', 'network')))).toBe(false);
  });

  it("stops with Terraform's own message when the plan fails (what plan caught), and hands on no facts", async () => {
    // A precondition on the VPC's CIDR, known at plan time: the plan fails, as it would in a live run.
    const precondition = { condition: '${aws_vpc.vpc.cidr_block == "10.99.0.0/16"}', error_message: 'The subnet needs the VPC 10.99.0.0/16.' };
    const failure = await applyBroken((resource) => (resource.aws_subnet.subnet.lifecycle = { precondition: [precondition] }));
    expect(failure).toBeInstanceOf(TerraformError);
    expect(failure.output).toContain('Resource precondition failed');
    expect(failure.output).toContain('The subnet needs the VPC 10.99.0.0/16.');
    expect(existsSync(join(root, paths.factsFile('rehearse', 'network')))).toBe(false);
  });

  /** Rehearses the network stack as `change` changes its run; gives back the Terraform commands it ran. */
  const commandsOf = async (change: Partial<StackRun>) => commandsIn((await rehearse('network', change))[1]);

  it('inits a stack that calls a module in its own folder, where the module gets installed', async () => {
    const dir = join(root, paths.workDir('rehearse', 'network'));
    const module = join(dir, 'modules', 'label');
    mkdirSync(module, { recursive: true });
    writeFileSync(join(module, 'main.tf.json'), JSON.stringify({ output: { name: { value: 'rehearsed' } } }));
    const json = { ...SynthesizedStack.read(root, 'network').json, module: { label: { source: './modules/label' } } };
    const file = join(root, 'with-module.tf.json');
    writeFileSync(file, JSON.stringify(json));
    try {
      expect(await commandsOf({ stack: new SynthesizedStack('network', file, json) })).toEqual(['init', 'test']);
      expect(JSON.parse(readFileSync(join(dir, '.terraform', 'modules', 'modules.json'), 'utf8')).Modules).toContainEqual(
        expect.objectContaining({ Key: 'label', Source: './modules/label' }),
      );
    } finally {
      for (const made of [join(dir, 'modules'), join(dir, '.terraform')]) rmSync(made, { recursive: true, force: true });
    }
  });

  /** Runs `check`, then removes the inits it made, so the stacks share the first one again. */
  async function withInitsRemoved(check: (first: string) => Promise<void>): Promise<void> {
    const [first] = sharedInits();
    try {
      await check(first);
    } finally {
      for (const init of sharedInits()) if (init !== first) rmSync(join(root, paths.rehearsalInitDir(init)), { recursive: true, force: true });
    }
  }

  it('inits once more where Terraform changes, shares that init from then on, and keeps the first', () =>
    withInitsRemoved(async (first) => {
      const binary = join(root, 'bin', 'terraform');
      mkdirSync(dirname(binary), { recursive: true });
      symlinkSync(execFileSync('sh', ['-c', 'command -v "$0"', resolveTerraformCli({}).binary], { encoding: 'utf8' }).trim(), binary);
      const cli = { ...resolveTerraformCli({}), binary };
      expect(await commandsOf({ cli })).toEqual(['init', 'test']);
      expect(await commandsOf({ cli })).toEqual(['test']);
      expect(sharedInits()).toHaveLength(2);
      expect(sharedInits()).toContain(first);
    }));

  const AWS = 'registry.terraform.io/hashicorp/aws';

  /**
   * A mirror whose AWS provider writes down each start (its pid and arguments), then runs the real
   * one; without `debugMode` it refuses `-debug`, as a provider built without a debug mode does.
   */
  function loggingMirror(debugMode: boolean): { cli: StackRun['cli']; starts: () => { pid: number; args: string }[] } {
    const real = installedProvider(join(root, paths.rehearsalInitDir(sharedInits()[0]), '.terraform'), AWS, '5.100.0')!;
    const mirror = mkdtempSync(join(root, 'logging-mirror-'));
    const dir = join(mirror, AWS, '5.100.0', basename(dirname(real)));
    mkdirSync(dir, { recursive: true });
    const log = join(mirror, 'starts.log');
    const refuse = debugMode ? '' : 'if [ "$1" = -debug ]; then exit 1; fi\n';
    writeFileSync(join(dir, basename(real)), `#!/bin/sh\necho "$$ $*" >> '${log}'\n${refuse}exec '${realpathSync(real)}' "$@"\n`, { mode: 0o755 });
    const starts = () =>
      (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []).map((line) => {
        const [pid, ...args] = line.split(' ');
        return { pid: Number(pid), args: args.join(' ') };
      });
    return { cli: { ...resolveTerraformCli({}), pluginDir: mirror }, starts };
  }

  it('starts the provider once, in debug mode, for every step of terraform test, and leaves it running in no case', () =>
    withInitsRemoved(async () => {
      const { cli, starts } = loggingMirror(true);
      const [result, log] = await rehearse('network', { cli });
      expect(log).toContain('Providers: started once, in debug mode, for every step of terraform test to attach to');
      expect(result.values.vpc_id).toBe(mockId('aws_vpc.vpc'));
      expect(starts().map((start) => start.args)).toEqual(['-debug']);

      const failure = await applyBroken((resource) => (resource.aws_vpc.vpc.no_such_argument = true), { cli });
      expect(failure.output).toContain('No argument or block type is named "no_such_argument"');
      expect(starts().map((start) => start.args)).toEqual(['-debug', '-debug']);
      expect(starts().filter((start) => alive(start.pid))).toEqual([]);
    }));

  it('lets terraform test start a provider that has no debug mode itself, at each step, with the same result', () =>
    withInitsRemoved(async () => {
      const { cli, starts } = loggingMirror(false);
      const [result, log] = await rehearse('network', { cli });
      expect(log).toContain('Providers: not all could start in debug mode, so terraform test starts them itself for each step');
      expect(result.values.vpc_id).toBe(mockId('aws_vpc.vpc'));
      const [refused, ...byTerraform] = starts();
      expect(refused.args).toBe('-debug');
      expect(byTerraform.length).toBeGreaterThan(1);
      expect(byTerraform.every((start) => start.args === '')).toBe(true);
    }));

  it('inits again where the shared init lost its providers, in the same folder', async () => {
    const [init] = sharedInits();
    rmSync(join(root, paths.rehearsalInitDir(init), '.terraform', 'providers'), { recursive: true, force: true });
    expect(await commandsOf({})).toEqual(['init', 'test']);
    expect(sharedInits()).toEqual([init]);
    expect(await commandsOf({})).toEqual(['test']);
  });

  it('keeps nothing of an init that failed, so the next rehearsal with that source inits again', async () => {
    const before = sharedInits();
    const cli = { ...resolveTerraformCli({}), pluginDir: mkdtempSync(join(root, 'empty-mirror-')) };
    const failure = await applyStack({ ...rehearsal('network'), cli }).catch((error) => error);
    expect(failure).toBeInstanceOf(TerraformError);
    expect(failure.command).toMatch(/ init -input=false -plugin-dir=.*empty-mirror-/);
    expect(failure.output).toContain('registry.terraform.io/hashicorp/aws');
    expect(sharedInits()).toEqual(before);
  });
});

/** Every file under `dir`, but not the providers Terraform installed (huge binaries). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) return [path];
    return path.endsWith(join('.terraform', 'providers')) ? [] : filesUnder(path);
  });
}

describe('the core stacks under Terraform', () => {
  let account: ApplyResult;
  let devices: ApplyResult;
  let accountLog: string;
  let devicesLog: string;

  beforeAll(async () => {
    const config = loadConfig(WORKSPACE, 'config');
    for (const stack of ['core-account', 'core-devices']) synthesize(STACKS[stack], stack, config, join(root, paths.synthDir(stack)));
    [account, accountLog] = await rehearse('core-account');
    [devices, devicesLog] = await rehearse('core-devices', { readsFactsOf: ['core-account'] });
  });

  it("runs terraform test alone for each: the providers come from the network rehearsal's init", () => {
    for (const log of [accountLog, devicesLog]) {
      expect(commandsIn(log)).toEqual(['test']);
      expect(log).toMatch(/^Providers: initialized once for every rehearsal that needs them, in \.pushbutton\/rehearse-init\/[0-9a-f]{16}$/m);
    }
    expect(sharedInits()).toHaveLength(1);
    const lockFile = readFileSync(join(root, paths.rehearsalInitDir(sharedInits()[0]), '.terraform.lock.hcl'), 'utf8');
    for (const stack of ['core-account', 'core-devices']) {
      const dir = join(root, paths.workDir('rehearse', stack));
      expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toBe(lockFile);
      expect(existsSync(join(dir, '.terraform'))).toBe(false);
    }
  });

  it('validates, plans and mock-applies core-account: roles, role alias and its policy', () => {
    expect(accountLog).toContain('terraform test -json -verbose');
    expect(accountLog).toMatch(/Plan: 6 to add, 0 to change, 0 to destroy/);
    expect(accountLog).toContain('Success! 1 passed, 0 failed.');
    expect(account.resources).toEqual([
      'aws_iam_role.greengrass_service_role',
      'aws_iam_role.token_exchange_role',
      'aws_iam_role_policy.token_exchange_logs',
      'aws_iam_role_policy_attachment.greengrass_service_role_policy',
      'aws_iot_policy.role_alias_policy',
      'aws_iot_role_alias.token_exchange_role_alias',
    ]);
    expect(Object.keys(account.values).sort()).toEqual([
      'role_alias_arn',
      'role_alias_name',
      'role_alias_policy_name',
      'service_role_arn',
      'service_role_name',
      'token_exchange_role_arn',
    ]);
    expect(account.values).toMatchObject({
      role_alias_name: 'pushbutton-demo-gg-token-exchange-alias',
      role_alias_policy_name: 'pushbutton-demo-gg-role-alias',
      service_role_name: 'pushbutton-demo-greengrass-service-role',
    });
  });

  it("hands core-account the account id (the mock account in a rehearsal) for its service role's trust", () => {
    const variables = JSON.parse(readFileSync(join(root, paths.workDir('rehearse', 'core-account'), 'facts.auto.tfvars.json'), 'utf8'));
    expect(variables).toEqual({ aws_account_id: MOCK_ACCOUNT });
  });

  it('hands core-devices the role alias policy from the facts of core-account, and each device its certificate request', () => {
    const variables = JSON.parse(readFileSync(join(root, paths.workDir('rehearse', 'core-devices'), 'facts.auto.tfvars.json'), 'utf8'));
    expect(Object.keys(variables).sort()).toEqual(['core_account_role_alias_policy_name', 'csr_lab_gateway', 'csr_lab_sensor']);
    expect(variables.core_account_role_alias_policy_name).toBe('pushbutton-demo-gg-role-alias');
    for (const device of ['lab-gateway', 'lab-sensor']) {
      const csr = variables[`csr_${device.replace(/-/g, '_')}`];
      expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\r?\n/);
      expect(csr).toBe(readFileSync(join(root, paths.keysDir('rehearse'), device, 'certificate-request.pem'), 'utf8'));
    }
  });

  it('validates, plans and mock-applies core-devices: the thing group, and per device a thing, certificate and policy', () => {
    expect(devicesLog).toContain('terraform test -json -verbose');
    expect(devicesLog).toMatch(/Plan: 15 to add, 0 to change, 0 to destroy/);
    expect(devicesLog).toContain('Success! 1 passed, 0 failed.');
    expect(devices.resources).toHaveLength(15);
    expect(devices.resources).toContain('aws_iot_thing_group_membership.client_lab_sensor_group_membership');
    expect(devices.resources).toContain('aws_iot_thing_group_membership.core_lab_gateway_group_membership');
    expect(devices.resources).toContain('aws_iot_policy_attachment.core_lab_gateway_role_alias_policy_attachment');
  });

  it('hands on the thing group and every device by its config name, certificates included', () => {
    const certified = {
      thing_name: expect.any(String),
      thing_arn: expect.any(String),
      certificate_id: expect.any(String),
      certificate_arn: expect.any(String),
      certificate_pem: expect.any(String),
      policy_name: expect.any(String),
    };
    expect(devices.values).toEqual({
      thing_group_name: 'pushbutton-demo-cores',
      client_thing_group_name: 'pushbutton-demo-clients',
      client_thing_group_arn: expect.any(String),
      thing_group_arn: expect.any(String),
      core_devices: {
        'lab-gateway': {
          ...certified,
          thing_name: 'pushbutton-demo-lab-gateway',
          certificate_id: mockId('aws_iot_certificate.core_lab_gateway_certificate'),
          policy_name: 'pushbutton-demo-lab-gateway-policy',
        },
      },
      client_devices: {
        'lab-sensor': {
          ...certified,
          thing_name: 'pushbutton-demo-lab-sensor',
          certificate_id: mockId('aws_iot_certificate.client_lab_sensor_certificate'),
          policy_name: 'pushbutton-demo-lab-sensor-policy',
          core_device: 'lab-gateway',
        },
      },
    });
    expect(devices.factsFile).toBe(paths.factsFile('rehearse', 'core-devices'));
    const facts = JSON.parse(readFileSync(join(root, devices.factsFile), 'utf8'));
    expect(facts).toMatchObject({ unit: 'core-devices', mode: 'rehearse', rehearsal: true, values: devices.values });
  });

  it('keeps each device key on this machine, 0600, and out of every state, variables and other file a run writes', () => {
    for (const device of ['lab-gateway', 'lab-sensor']) {
      const keyFile = join(root, paths.keysDir('rehearse'), device, 'private.pem.key');
      expect(statSync(keyFile).mode & 0o777, keyFile).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE[ ]KEY-----\n/);
    }
    const stateAndVariables = [
      paths.rehearsalStateFile('core-account'),
      paths.rehearsalStateFile('core-devices'),
      join(paths.workDir('rehearse', 'core-devices'), 'facts.auto.tfvars.json'),
    ].map((file) => join(root, file));
    const keysDir = join(root, paths.keysDir('rehearse'));
    const written = filesUnder(join(root, paths.runDir)).filter((file) => !file.startsWith(keysDir));
    expect(written).toEqual(expect.arrayContaining(stateAndVariables));
    for (const file of written) expect(readFileSync(file, 'utf8'), file).not.toContain('PRIVATE KEY');
  });
});

type StateResource = { address: string; values: Record<string, any> };

/**
 * The resources `terraform test` mock-applies in the stack's work dir, with their values
 * (`rehearsal-state.json` keeps only addresses and outputs).
 */
async function mockAppliedResources(stack: string): Promise<Record<string, Record<string, any>>> {
  let resources: StateResource[] = [];
  await runTerraform(resolveTerraformCli({}), ['test', '-json', '-verbose'], {
    cwd: join(root, paths.workDir('rehearse', stack)),
    env: rehearsalEnv(),
    print: () => {},
    onMessage: (message) => {
      const state = message.test_state as { root_module?: { resources?: StateResource[] } } | undefined;
      if (state) resources = state.root_module?.resources ?? [];
    },
  });
  return Object.fromEntries(resources.map((r) => [r.address, r.values]));
}

describe('the workflow stack under Terraform', () => {
  const NETWORK_FACTS = {
    vpc_id: mockId('aws_vpc.vpc'),
    subnet_id: mockId('aws_subnet.subnet'),
    security_group_id: mockId('aws_security_group.security_group'),
  };
  const WORKER = 'pushbutton-demo-workflow-worker';
  const BUCKET_RESOURCES = [
    'aws_s3_bucket.results',
    'aws_s3_bucket_ownership_controls.results_ownership',
    'aws_s3_bucket_policy.results_policy',
    'aws_s3_bucket_public_access_block.results_public_access_block',
    'aws_s3_bucket_server_side_encryption_configuration.results_encryption',
    'aws_s3_bucket_versioning.results_versioning',
  ];
  const WORKFLOWS = ['assembly', 'comparison', 'read_filtering', 'taxonomic_classification'];
  /** The shipped config's engine, AWS Batch. */
  const BATCH_RESOURCES = [
    'aws_batch_compute_environment.batch_compute',
    ...WORKFLOWS.map((name) => `aws_batch_job_definition.batch_job_${name}`),
    'aws_batch_job_queue.batch_queue',
    'aws_iam_instance_profile.batch_instance_profile',
    'aws_iam_role.batch_execution_role',
    'aws_iam_role.batch_instance_role',
    'aws_iam_role.batch_job_role',
    'aws_iam_role_policy.batch_instance_metrics',
    'aws_iam_role_policy.batch_job_results',
    'aws_iam_role_policy_attachment.batch_execution_policy',
    'aws_iam_role_policy_attachment.batch_instance_policy',
    'aws_launch_template.batch_launch_template',
  ];
  /** What a person sees of running cases, on either engine. */
  const MONITORING_RESOURCES = [
    'aws_cloudwatch_dashboard.dashboard',
    'aws_cloudwatch_log_group.case_logs',
    'aws_cloudwatch_metric_alarm.cases_failed',
    'aws_cloudwatch_metric_alarm.cases_overdue',
    'aws_sns_topic.alarms',
  ];
  const RESOURCES = [
    ...MONITORING_RESOURCES,
    'aws_iam_instance_profile.worker_instance_profile',
    'aws_iam_role.worker_role',
    'aws_iam_role_policy.worker_monitoring',
    'aws_iam_role_policy.worker_session_manager',
    'aws_iam_role_policy.worker_write_results',
    'aws_launch_template.worker_launch_template',
    ...BUCKET_RESOURCES,
    ...BATCH_RESOURCES,
  ].sort();
  let workflow: ApplyResult;
  let log: string;
  const workFile = (file: string) => JSON.parse(readFileSync(join(root, paths.workDir('rehearse', 'workflow'), file), 'utf8'));

  beforeAll(async () => {
    const config = loadConfig(WORKSPACE, 'config');
    synthesize(STACKS['workflow'], 'workflow', config, join(root, paths.synthDir('workflow')));
    // What a network rehearsal hands on, written here so this block does not depend on the order of the others.
    writeFacts(root, { unit: 'network', mode: 'rehearse', rehearsal: true, values: NETWORK_FACTS });
    [workflow, log] = await rehearse('workflow', { readsFactsOf: ['network'] });
  });

  it('validates, plans and mock-applies the results bucket, the worker role and launch template, and the Batch engine', () => {
    expect(log).toContain('terraform test -json -verbose');
    expect(log).toMatch(/Plan: 32 to add, 0 to change, 0 to destroy/);
    expect(log).toContain('Success! 1 passed, 0 failed.');
    expect(workflow.resources).toEqual(RESOURCES);
    expect(workflow.outcome).toBe('Mock apply complete! Resources: 32 in memory, none in AWS.');
  });

  it('keeps the bucket on a live destroy (prevent_destroy), yet the rehearsal tears its mock resources down', () => {
    const synthesized = SynthesizedStack.read(root, 'workflow');
    expect(synthesized.retainedAddresses()).toEqual(BUCKET_RESOURCES);
    const override = workFile('rehearsal_override.tf.json');
    for (const address of BUCKET_RESOURCES) {
      const [type, name] = address.split('.');
      expect(override.resource[type][name], address).toEqual({ lifecycle: { prevent_destroy: false } });
    }
    expect(log).toContain('tearing down');
    expect(log).not.toContain('Instance cannot be destroyed');
  });

  it('hands on the bucket, results prefix, launch template, role and instance profile', () => {
    expect(workflow.values).toEqual({
      bucket_name: mockId('aws_s3_bucket.results'),
      bucket_arn: expect.stringMatching(/^arn:aws:s3:/),
      results_prefix: 'results',
      launch_template_id: mockId('aws_launch_template.worker_launch_template'),
      launch_template_name: WORKER,
      worker_role_name: WORKER,
      worker_role_arn: expect.stringMatching(/^arn:aws:iam:/),
      instance_profile_name: WORKER,
      instance_profile_arn: expect.stringMatching(/^arn:aws:iam:/),
      job_queue_arn: expect.stringMatching(/^arn:aws:batch:/),
      job_definitions: Object.fromEntries(WORKFLOWS.map((name) => [name, expect.stringMatching(/^arn:aws:batch:/)])),
      log_group_name: '/pushbutton/pushbutton-demo/workflow',
      metric_namespace: 'Pushbutton/pushbutton-demo',
      alarm_topic_arn: expect.stringMatching(/^arn:aws:sns:/),
      dashboard_url: 'https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/pushbutton-demo-workflow',
      jobs_prefix: '_pushbutton/jobs',
    });
    expect(workflow.values.launch_template_id).toMatch(/^lt-[0-9a-f]{17}$/);
    const facts = JSON.parse(readFileSync(join(root, workflow.factsFile), 'utf8'));
    expect(facts).toMatchObject({ unit: 'workflow', mode: 'rehearse', rehearsal: true, values: workflow.values });
    const recorded = JSON.parse(readFileSync(join(root, paths.rehearsalStateFile('workflow')), 'utf8'));
    expect(recorded).toEqual({ stack: 'workflow', resources: RESOURCES, outputs: workflow.values });
  });

  it("passes the network step's subnet and security group, and the account the Batch roles trust, as variables", () => {
    expect(workFile('facts.auto.tfvars.json')).toEqual({
      network_subnet_id: NETWORK_FACTS.subnet_id,
      network_security_group_id: NETWORK_FACTS.security_group_id,
      aws_account_id: MOCK_ACCOUNT,
    });
  });

  // The limit `validate` holds project names to (config/rules.ts), proved with the provider itself.
  it("is refused by the AWS provider with a bucket prefix over 37 characters, the limit validate holds the project's name to", async () => {
    const dir = join(root, paths.workDir('rehearse', 'workflow'));
    const main = workFile('main.tf.json');
    const validate = async (prefix: string) => {
      main.resource.aws_s3_bucket.results.bucket_prefix = prefix;
      writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(main));
      const cli = resolveTerraformCli({});
      return runTerraform(cli, ['validate', '-no-color'], { cwd: dir, env: rehearsalEnv(), print: () => {} }).then(
        () => 'valid',
        (error: TerraformError) => error.output,
      );
    };
    const original = main.resource.aws_s3_bucket.results.bucket_prefix;
    try {
      const limit = resultsBucketPrefix('a'.repeat(28));
      expect(limit).toHaveLength(37);
      expect(await validate(limit)).toBe('valid');
      expect(await validate(resultsBucketPrefix('a'.repeat(29)))).toMatch(/bucket_prefix[\s\S]*37/);
    } finally {
      await validate(original);
    }
  }, 60_000);

  describe('grants only what workers need', () => {
    const denyInsecureTransport = (bucketArn: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucketArn, `${bucketArn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    const writeResults = (bucketArn: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `${bucketArn}/results/*` }],
    });

    it('in the Terraform it applied: a bucket policy that only denies non-TLS, a role that may only write results', () => {
      const main = workFile('main.tf.json');
      const arn = '${aws_s3_bucket.results.arn}';
      expect(JSON.parse(main.resource.aws_s3_bucket_policy.results_policy.policy)).toEqual(denyInsecureTransport(arn));
      expect(Object.keys(main.resource.aws_iam_role_policy).sort()).toEqual([
        'batch_instance_metrics',
        'batch_job_results',
        'worker_monitoring',
        'worker_session_manager',
        'worker_write_results',
      ]);
      expect(JSON.parse(main.resource.aws_iam_role_policy.worker_write_results.policy)).toEqual(writeResults(arn));
      // Batch jobs read their manifest besides; only the Batch roles carry AWS managed policies.
      expect(JSON.parse(main.resource.aws_iam_role_policy.batch_job_results.policy).Statement).toEqual([
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${arn}/_pushbutton/jobs/*` },
        ...writeResults(arn).Statement,
        { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Pushbutton/pushbutton-demo' } } },
      ]);
      expect(Object.keys(main.resource.aws_iam_role_policy_attachment).sort()).toEqual(['batch_execution_policy', 'batch_instance_policy']);
    });

    it('in the mock-applied state, with the bucket ARN resolved and the launch template in the network subnet', async () => {
      const applied = await mockAppliedResources('workflow');
      const arn = workflow.values.bucket_arn as string;
      expect(JSON.parse(applied['aws_s3_bucket_policy.results_policy'].policy)).toEqual(denyInsecureTransport(arn));
      expect(JSON.parse(applied['aws_iam_role_policy.worker_write_results'].policy)).toEqual(writeResults(arn));
      const template = applied['aws_launch_template.worker_launch_template'];
      expect(template.network_interfaces).toEqual([
        expect.objectContaining({ subnet_id: NETWORK_FACTS.subnet_id, security_groups: [NETWORK_FACTS.security_group_id] }),
      ]);
      expect(template.metadata_options).toEqual([expect.objectContaining({ http_tokens: 'required', instance_metadata_tags: 'disabled' })]);
      expect(template.key_name).toBeFalsy();
      // The Batch engine: its compute in the network subnet, and each job's bootstrap as the shell gets it (Terraform's $${ undone).
      expect(applied['aws_batch_compute_environment.batch_compute'].compute_resources).toEqual([
        expect.objectContaining({ subnets: [NETWORK_FACTS.subnet_id], security_group_ids: [NETWORK_FACTS.security_group_id], min_vcpus: 0 }),
      ]);
      const container = JSON.parse(applied['aws_batch_job_definition.batch_job_read_filtering'].container_properties);
      expect(container.command).toEqual(['bash', '-c', BATCH_BOOTSTRAP]);
    }, 120_000);
  });
});
