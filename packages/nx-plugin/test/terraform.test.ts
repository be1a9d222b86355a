// The Terraform-backed suite: the real binary, providers from the mirror or cache Terraform is
// configured with (PUSHBUTTON_TF_PLUGIN_DIR / TF_CLI_CONFIG_FILE), one plugin cache for every stack.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { synthesize } from '@pushbutton/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config';
import { paths } from '../src/paths';
import { preflight } from '../src/terraform/preflight';
import { mockId } from '../src/terraform/rehearsal';
import { applyStack, StackRun } from '../src/terraform/stack-run';
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
    expect(facts).toMatchObject({ stack: 'network', mode: 'rehearse', rehearsal: true, values: result.values });
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
