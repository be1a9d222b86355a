import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TerraformCli } from './terraform-cli';
import type { Mode } from '../mode';
import type { SynthesizedStack } from './synthesized-stack';


const MIN_VERSION = [1, 7, 0];
const MIN_VERSION_S3_LOCKFILE = [1, 10, 0];

export class PreflightError extends Error {
  constructor(what: string, problems: string[], mode: Mode) {
    const hint =
      mode === 'live' && problems.some((p) => p.startsWith('AWS'))
        ? '\n\nTo try everything offline first, with no AWS account: npx nx run infra:provision:rehearse'
        : '';
    super(`Cannot ${what}; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}${hint}`);
    this.name = 'PreflightError';
  }
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

async function terraformVersionProblem(cli: TerraformCli, needsLockfile: boolean): Promise<string | undefined> {
  let version: string;
  try {
    const { stdout } = await promisify(execFile)(cli.binary, ['version', '-json'], { env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    version = JSON.parse(stdout).terraform_version;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? `Terraform: \`${cli.binary}\` not found. Install Terraform >= 1.7 (or OpenTofu) on PATH, or set PUSHBUTTON_TERRAFORM to the binary.`
      : `Terraform: \`${cli.binary} version -json\` failed: ${(error as Error).message.split('\n')[0]}`;
  }
  const found = version.split(/[.-]/).slice(0, 3).map(Number);
  const needed = needsLockfile ? MIN_VERSION_S3_LOCKFILE : MIN_VERSION;
  if (compareVersions(found, needed) < 0) {
    const why = needsLockfile ? 'for the S3 backend with useLockfile' : 'for terraform test with mock_provider';
    return `Terraform: found ${version} at \`${cli.binary}\`; need ${needed.join('.')} or later ${why}.`;
  }
  return undefined;
}

const GO_OS: Record<string, string> = { win32: 'windows' };
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386' };

/** Checks a plugin dir (a Terraform filesystem mirror) holds every provider the stack needs, for this platform. */
function providerProblems(cli: TerraformCli, stack: SynthesizedStack): string[] {
  if (!cli.pluginDir) return [];
  const platform = `${GO_OS[process.platform] ?? process.platform}_${GO_ARCH[process.arch] ?? process.arch}`;
  if (!existsSync(cli.pluginDir)) return [`Providers: plugin dir ${cli.pluginDir} does not exist (from PUSHBUTTON_TF_PLUGIN_DIR or the pluginDir option).`];
  return stack.requiredProviders().flatMap(({ address, version }) => {
    const unpacked = join(cli.pluginDir!, address, version, platform);
    const [, , type] = address.split('/');
    const packed = join(cli.pluginDir!, address, `terraform-provider-${type}_${version}_${platform}.zip`);
    if (existsSync(unpacked) || existsSync(packed)) return [];
    return [`Providers: ${address} ${version} for ${platform} is not in the plugin dir (looked for ${unpacked}/).`];
  });
}

/** Resolves AWS credentials the standard way and asks STS who they belong to. */
async function awsCredentialsProblem(region: string): Promise<{ problem?: string; account?: string }> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const credentials = fromNodeProviderChain();
  try {
    await credentials();
  } catch {
    return {
      problem:
        'AWS credentials: none found (environment, AWS_PROFILE and ~/.aws, SSO, container or instance roles). ' +
        'Set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`.',
    };
  }
  const sts = new STSClient({ region, credentials, maxAttempts: 2 });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return { account: identity.Account };
  } catch (error) {
    return { problem: `AWS credentials: found, but STS GetCallerIdentity failed: ${(error as Error).message}` };
  } finally {
    sts.destroy();
  }
}

/**
 * Says exactly what is missing (Terraform binary, providers, AWS credentials) before anything runs.
 * Returns the AWS account id in live mode.
 */
export async function preflight(
  what: string,
  mode: Mode,
  cli: TerraformCli,
  stack: SynthesizedStack,
  region: string,
): Promise<{ account?: string }> {
  const [versionProblem, aws] = await Promise.all([
    terraformVersionProblem(cli, stack.usesS3Lockfile()),
    mode === 'live' ? awsCredentialsProblem(region) : Promise.resolve({ problem: undefined, account: undefined }),
  ]);
  const problems = [versionProblem, ...providerProblems(cli, stack), aws.problem].filter((p): p is string => !!p);
  if (problems.length) throw new PreflightError(what, problems, mode);
  return { account: aws.account };
}

/** The preflight of a live unit that calls AWS without Terraform: credentials only. */
export async function awsPreflight(what: string, region: string): Promise<{ account?: string }> {
  const { problem, account } = await awsCredentialsProblem(region);
  if (problem) throw new PreflightError(what, [problem], 'live');
  return { account };
}
