// A rehearsal's `terraform test` starts each provider seven times (validate, plan, apply, and the
// teardown's plan and apply, among others); each start of the AWS provider builds its schema of
// about 1,500 resource types. Started once in its debug mode, a provider serves every one of them:
// Terraform attaches to it through TF_REATTACH_PROVIDERS, the way HashiCorp's terraform-plugin-testing
// runs providers under test (https://developer.hashicorp.com/terraform/plugin/debugging).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a provider in debug mode prints once it listens (terraform-plugin-go's managed debug server):
 * `TF_REATTACH_PROVIDERS='{…}'` on Unix, `set "TF_REATTACH_PROVIDERS={…}"` on Windows.
 */
const REATTACH_LINE = /TF_REATTACH_PROVIDERS=['"]?(\{.*\})['"]?\s*$/m;
/** A provider that serves in debug mode says so within a second; this only bounds a provider that hangs. */
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface AttachedProviders {
  /** TF_REATTACH_PROVIDERS for every provider of the stack. */
  env: NodeJS.ProcessEnv;
  /** Stops the providers (SIGINT, as their debug mode expects) and waits for them to exit. */
  stop(): Promise<void>;
}

/** The executable `terraform init` installed for a provider: `<data dir>/providers/<address>/<version>/<os_arch>/terraform-provider-<type>…`. */
export function installedProvider(dataDir: string, address: string, version: string): string | undefined {
  const versionDir = join(dataDir, 'providers', address, version);
  const type = address.split('/').pop();
  for (const platform of safeReaddir(versionDir)) {
    const binary = safeReaddir(join(versionDir, platform)).find((file) => file.startsWith(`terraform-provider-${type}`));
    if (binary) return join(versionDir, platform, binary);
  }
  return undefined;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Starts one provider in debug mode; resolves with its reattach configuration, or undefined if it has no debug mode. */
function startProvider(binary: string, env: NodeJS.ProcessEnv, started: ChildProcess[]): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    // Its logs would otherwise go to Terraform's; they go to the console only where TF_LOG asks for logs.
    const child = spawn(binary, ['-debug'], { env, stdio: ['ignore', 'pipe', env.TF_LOG ? 'inherit' : 'ignore'] });
    started.push(child);
    let output = '';
    const timer = setTimeout(() => resolve(undefined), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = REATTACH_LINE.exec(output);
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data').resume();
      try {
        resolve(JSON.parse(line[1]) as Record<string, unknown>);
      } catch {
        resolve(undefined);
      }
    });
    // A provider without a debug mode says it is a plugin not meant to run on its own, and exits.
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('error', () => resolve(undefined));
  });
}

function stopAll(children: ChildProcess[]): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  return Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGINT');
        }),
    ),
  ).then(() => undefined);
}

/**
 * Starts the stack's providers, as installed in `dataDir`, for Terraform to attach to; undefined
 * (and nothing left running) where one has no debug mode: Terraform then starts them itself.
 */
export async function attachProviders(dataDir: string, providers: { address: string; version: string }[], env: NodeJS.ProcessEnv): Promise<AttachedProviders | undefined> {
  const binaries = providers.map((p) => installedProvider(dataDir, p.address, p.version));
  if (!binaries.length || binaries.some((binary) => !binary)) return undefined;
  const started: ChildProcess[] = [];
  const killOnExit = () => started.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  const stop = () => stopAll(started).finally(() => process.removeListener('exit', killOnExit));
  const configs = await Promise.all(binaries.map((binary) => startProvider(binary!, env, started)));
  if (configs.some((config) => !config)) {
    await stop();
    return undefined;
  }
  return { env: { TF_REATTACH_PROVIDERS: JSON.stringify(Object.assign({}, ...configs)) }, stop };
}
