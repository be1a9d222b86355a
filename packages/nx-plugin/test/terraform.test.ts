// The Terraform-backed suite: the real binary, providers from the mirror or cache Terraform is
// configured with (PUSHBUTTON_TF_PLUGIN_DIR / TF_CLI_CONFIG_FILE), one plugin cache for every stack.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { synthesize } from '@pushbutton/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config';
import { paths } from '../src/paths';
import { preflight } from '../src/terraform/preflight';
import { mockId } from '../src/terraform/rehearsal';
import { ApplyResult, applyStack, StackRun } from '../src/terraform/stack-run';
import { SynthesizedStack } from '../src/terraform/synthesized-stack';
import { resolveTerraformCli, TerraformError } from '../src/terraform/terraform-cli';

const WORKSPACE = join(__dirname, '../../..');
process.env.TF_PLUGIN_CACHE_DIR ??= join(tmpdir(), 'pushbutton-tf-plugin-cache');

let root: string;
const printed: string[] = [];

function rehearsal(stack: string): StackRun {
  return {
    workspaceRoot: root,
    stack: SynthesizedStack.read(root, stack),
    mode: 'rehearse',
    cli: resolveTerraformCli({}),
    readsFactsOf: [],
    print: (text) => printed.push(text),
  };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-terraform-'));
  const config = loadConfig(WORKSPACE, 'config');
  synthesize('network', config, join(root, paths.synthDir('network')));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the network stack under Terraform', () => {
  it('passes preflight: a Terraform >= 1.7 and the AWS provider are available', async () => {
    const run = rehearsal('network');
    await expect(preflight('rehearse', 'rehearse', run.cli, run.stack, run.stack.region())).resolves.toEqual({ account: undefined });
  });

  it('inits from the mirror, validates, plans and applies against the mock provider', async () => {
    const result = await applyStack(rehearsal('network'));
    const log = stripVTControlCharacters(printed.join('\n'));
    for (const command of ['init', 'validate', 'plan', 'test -json -verbose']) expect(log).toContain(`terraform ${command}`);
    expect(log).toMatch(/Plan: 8 to add, 0 to change, 0 to destroy/);
    expect(log).toContain('Success! 1 passed, 0 failed.');

    const providerDir = join(root, paths.workDir('rehearse', 'network'), '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0');
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

  it('fails at terraform validate when the Terraform is wrong, and hands on no facts', async () => {
    const broken = SynthesizedStack.read(root, 'network');
    (broken.json.resource!.aws_vpc as Record<string, Record<string, unknown>>).vpc.no_such_argument = true;
    const file = join(root, 'broken.tf.json');
    writeFileSync(file, JSON.stringify(broken.json));
    rmSync(join(root, paths.factsFile('rehearse', 'network')));

    const run = { ...rehearsal('network'), stack: new SynthesizedStack('network', file, broken.json) };
    const failure = await applyStack(run).catch((error) => error);
    expect(failure).toBeInstanceOf(TerraformError);
    expect(failure.command).toMatch(/validate$/);
    expect(failure.output).toContain('No argument or block type is named "no_such_argument"');
    expect(existsSync(join(root, paths.factsFile('rehearse', 'network')))).toBe(false);
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

  /** Applies the stack in rehearse mode; returns its result and what it printed. */
  async function rehearse(stack: string, readsFactsOf: string[]): Promise<[ApplyResult, string]> {
    const from = printed.length;
    const result = await applyStack({ ...rehearsal(stack), readsFactsOf });
    return [result, stripVTControlCharacters(printed.slice(from).join('\n'))];
  }

  beforeAll(async () => {
    const config = loadConfig(WORKSPACE, 'config');
    for (const stack of ['core-account', 'core-devices']) synthesize(stack, config, join(root, paths.synthDir(stack)));
    [account, accountLog] = await rehearse('core-account', []);
    [devices, devicesLog] = await rehearse('core-devices', ['core-account']);
  });

  it('validates, plans and mock-applies core-account: roles, role alias and its policy', () => {
    for (const command of ['validate', 'plan', 'test -json -verbose']) expect(accountLog).toContain(`terraform ${command}`);
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
    for (const command of ['validate', 'plan', 'test -json -verbose']) expect(devicesLog).toContain(`terraform ${command}`);
    expect(devicesLog).toMatch(/Plan: 13 to add, 0 to change, 0 to destroy/);
    expect(devicesLog).toContain('Success! 1 passed, 0 failed.');
    expect(devices.resources).toHaveLength(13);
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
