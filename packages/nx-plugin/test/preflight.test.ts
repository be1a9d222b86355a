import type { ExecutorContext } from '@nx/devkit';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import applyExecutor from '../src/executors/apply/executor';
import { paths } from '../src/paths';
import { preflight } from '../src/terraform/preflight';
import { SynthesizedStack } from '../src/terraform/synthesized-stack';
import { resolveTerraformCli } from '../src/terraform/terraform-cli';

const stack = new SynthesizedStack('network', 'cdk.tf.json', {
  terraform: { required_providers: { aws: { source: 'aws', version: '5.100.0' } }, backend: { local: {} } },
  provider: { aws: [{ region: 'us-west-2' }] },
});

let dir: string;
const savedEnv = { ...process.env };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pushbutton-preflight-'));
  // No AWS credentials from this machine may leak in, and no instance metadata lookups.
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = join(dir, 'none');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'none');
});
afterAll(() => {
  process.env = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in `terraform` that reports an old version, to check the version gate. */
function terraformReporting(version: string): string {
  const file = join(dir, `terraform-${version}`);
  writeFileSync(file, `#!/bin/sh\necho '{"terraform_version":"${version}"}'\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('preflight says exactly what is missing before anything runs', () => {
  it('a Terraform binary that is not there', async () => {
    const cli = resolveTerraformCli({ terraformBinary: join(dir, 'no-terraform') }, {});
    await expect(preflight('rehearse the network stack', 'rehearse', cli, stack, 'us-west-2')).rejects.toThrow(
      `Terraform: \`${join(dir, 'no-terraform')}\` not found. Install Terraform >= 1.7 (or OpenTofu) on PATH, or set PUSHBUTTON_TERRAFORM to the binary.`,
    );
  });

  it('a Terraform too old for mock providers', async () => {
    const cli = resolveTerraformCli({ terraformBinary: terraformReporting('1.6.6') }, {});
    await expect(preflight('rehearse the network stack', 'rehearse', cli, stack, 'us-west-2')).rejects.toThrow(
      /found 1\.6\.6 at .*; need 1\.7\.0 or later for terraform test with mock_provider/,
    );
  });

  it('a plugin dir without the AWS provider for this platform', async () => {
    const cli = resolveTerraformCli({}, { PUSHBUTTON_TF_PLUGIN_DIR: dir, PUSHBUTTON_TERRAFORM: terraformReporting('1.11.4') });
    const failure = (await preflight('rehearse the network stack', 'rehearse', cli, stack, 'us-west-2').catch((e) => e)) as Error;
    expect(failure.message).toMatch(
      /Providers: registry\.terraform\.io\/hashicorp\/aws 5\.100\.0 for (\w+) is not in the plugin dir \(looked for .*\/registry\.terraform\.io\/hashicorp\/aws\/5\.100\.0\/\1\/\)\./,
    );
  });

  it('AWS credentials, for a live run only, with the way to rehearse instead', async () => {
    const cli = resolveTerraformCli({ terraformBinary: terraformReporting('1.11.4') }, {});
    const failure = await preflight('apply the network stack', 'live', cli, stack, 'us-west-2').catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'Cannot apply the network stack; nothing was changed:\n' +
        '  - AWS credentials: none found (environment, AWS_PROFILE and ~/.aws, SSO, container or instance roles). ' +
        'Set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`.\n\n' +
        'To try everything offline first, with no AWS account: npx nx run infra:provision:rehearse',
    );
    await expect(preflight('rehearse the network stack', 'rehearse', cli, stack, 'us-west-2')).resolves.toEqual({ account: undefined });
  });

  it('every problem at once', async () => {
    const cli = resolveTerraformCli({ terraformBinary: join(dir, 'no-terraform'), pluginDir: join(dir, 'no-mirror') }, {});
    const failure = (await preflight('apply the network stack', 'live', cli, stack, 'us-west-2').catch((e: Error) => e)) as Error;
    expect(failure.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(3);
  });
});

describe('the apply executor, whose rehearsal initializes Terraform while the preflight runs', () => {
  it("says the preflight's problem, not init's, and keeps the facts of the last apply", async () => {
    const root = mkdtempSync(join(dir, 'workspace-'));
    const write = (file: string, text: string) => {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    write(paths.synthesizedFile('network'), JSON.stringify(stack.json));
    const facts = JSON.stringify({ unit: 'network', mode: 'rehearse', values: { vpc_id: 'vpc-0123456789abcdef0' } });
    write(paths.factsFile('rehearse', 'network'), facts);
    const errors: string[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation((text: string) => errors.push(text));
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const options = { stack: 'network', mode: 'rehearse' as const, terraformBinary: join(dir, 'no-terraform') };
      await expect(applyExecutor(options, { root } as ExecutorContext)).resolves.toEqual({ success: false });
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
    expect(errors.join('\n')).toContain('Cannot rehearse the network stack; nothing was changed:\n  - Terraform: `');
    expect(errors.join('\n')).not.toContain('was not found on PATH');
    expect(readFileSync(join(root, paths.factsFile('rehearse', 'network')), 'utf8')).toBe(facts);
  });
});
