// Running Terraform for one stack: its working directory, apply and destroy, live or rehearsed.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { factsAsVariables } from '../facts';
import { writeFileAtomic } from '../fs-atomic';
import { DeviceKey, ensureDeviceKey } from '../keys';
import { paths } from '../paths';
import { ACCOUNT_ID_VARIABLE } from '@pushbutton/stacks/src/settings';
import type { StateParts } from '../state-token';
import { forgetUnit, recordUnit } from '../unit-record';
import type { Mode } from '../mode';
import { unitNamed } from '../steps/registry';
import {
  MOCK_ACCOUNT,
  REHEARSAL_OVERRIDE_FILE,
  REHEARSAL_TEST_FILE,
  rehearsalCollector,
  rehearsalInitConfig,
  rehearsalOverride,
  rehearsalTestFile,
} from './rehearsal';
import { attachProviders, installedProvider, type AttachedProviders } from './attached-providers';
import type { SynthesizedStack } from './synthesized-stack';
import { captureTerraform, runTerraform, RunOptions, TerraformCli, terraformEnv } from './terraform-cli';

export interface StackRun {
  workspaceRoot: string;
  stack: SynthesizedStack;
  mode: Mode;
  /** The AWS account the credentials belong to (from STS); the mock account in a rehearsal. */
  account: string;
  cli: TerraformCli;
  /** Stacks whose facts become this stack's Terraform variables. */
  readsFactsOf: string[];
  print: (text: string) => void;
}

/** A stack's run as its executor starts it: printing to the console, reading the facts its unit reads. */
export function consoleStackRun(workspaceRoot: string, stack: SynthesizedStack, mode: Mode, cli: TerraformCli, account = MOCK_ACCOUNT): StackRun {
  const { readsFactsOf } = unitNamed(stack.name).unit;
  return { workspaceRoot, stack, mode, account, cli, readsFactsOf, print: (text) => console.log(text) };
}

export interface ApplyResult {
  resources: string[];
  values: Record<string, unknown>;
  /** Terraform's one-line account of the apply ("Apply complete! Resources: ..."). */
  outcome: string;
  factsFile: string;
  /** The account it was applied in; the mock account in a rehearsal. */
  account: string;
}

const PLAN_FILE = 'tfplan';
const FACT_VARIABLES_FILE = 'facts.auto.tfvars.json';

function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

const CSR_VARIABLE = /^csr_([a-z0-9_]+)$/;

/**
 * The devices the stack certifies, by variable: a variable `csr_<name>` (hyphens as
 * underscores) takes the certificate request of device `<name>`.
 */
export function certifiedDevices(stack: SynthesizedStack): Record<string, string> {
  const devices: Record<string, string> = {};
  for (const variable of stack.variableNames()) {
    const name = CSR_VARIABLE.exec(variable)?.[1].replace(/_/g, '-');
    if (name) devices[variable] = name;
  }
  return devices;
}

/** The keys of the devices the stack certifies, made now where this machine has none yet. */
async function deviceKeys(run: StackRun): Promise<Record<string, DeviceKey>> {
  const devices = Object.entries(certifiedDevices(run.stack));
  const keys = await Promise.all(devices.map(([, name]) => ensureDeviceKey(run.workspaceRoot, run.mode, name, name)));
  return Object.fromEntries(devices.map(([variable], i) => [variable, keys[i]]));
}

/** A stack's Terraform working directory, laid out and initialized, and the keys of the devices it certifies. */
interface PreparedStack {
  dir: string;
  keys: Record<string, DeviceKey>;
  /** What Terraform needs to find the initialized providers: TF_DATA_DIR where the init is shared. */
  initEnv: NodeJS.ProcessEnv;
}

const LOCK_FILE = '.terraform.lock.hcl';

/** What an init's result depends on besides its configuration: the binary, and where providers come from. */
function initKey(config: object, cli: TerraformCli, env: NodeJS.ProcessEnv): string {
  const cliConfig = env.TF_CLI_CONFIG_FILE && existsSync(env.TF_CLI_CONFIG_FILE) ? readFileSync(env.TF_CLI_CONFIG_FILE, 'utf8') : '';
  const from = [cli.binary, cli.pluginDir, env.TF_CLI_CONFIG_FILE, cliConfig, env.TF_PLUGIN_CACHE_DIR];
  return createHash('sha256').update(JSON.stringify([config, from])).digest('hex').slice(0, 16);
}

/**
 * Rehearsals share one `terraform init` among stacks that need the same providers: each stack's
 * `terraform test` runs against its data directory (TF_DATA_DIR) with a copy of its lock file
 * (docs/decisions.md, "Rehearsal"). The init runs in a folder of its own, renamed into place when
 * it succeeds, so a half-done init is never used and two stacks starting at once both go on.
 */
async function sharedRehearsalInit(run: StackRun, dir: string): Promise<NodeJS.ProcessEnv> {
  const config = rehearsalInitConfig(run.stack);
  const relativeDir = paths.rehearsalInitDir(initKey(config, run.cli, terraformIn(run, dir).env));
  const shared = join(run.workspaceRoot, relativeDir);
  const dataDir = join(shared, '.terraform');
  const installed = existsSync(join(shared, LOCK_FILE)) && run.stack.requiredProviders().every((p) => installedProvider(dataDir, p.address, p.version));
  if (installed) run.print(`\nProviders: initialized once for every rehearsal that needs them, in ${relativeDir}`);
  else {
    rmSync(shared, { recursive: true, force: true }); // what is left of one whose providers are gone
    const building = `${shared}.${process.pid}`;
    writeJson(join(building, 'main.tf.json'), config);
    try {
      await terraformIn(run, building).init();
      renameSync(building, shared);
    } catch (error) {
      if (!existsSync(shared)) throw error; // else another stack's init finished first
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  copyFileSync(join(shared, LOCK_FILE), join(dir, LOCK_FILE));
  return { TF_DATA_DIR: dataDir };
}

/**
 * Lays out the stack's working directory, then runs `terraform init` (a rehearsal's shared one)
 * while it makes the device keys this machine lacks. Nothing here changes the world.
 */
async function prepareStack(run: StackRun): Promise<PreparedStack> {
  const dir = join(run.workspaceRoot, paths.workDir(run.mode, run.stack.name));
  writeFileAtomic(join(dir, 'main.tf.json'), readFileSync(run.stack.file, 'utf8'));
  if (run.mode === 'rehearse') {
    writeJson(join(dir, REHEARSAL_OVERRIDE_FILE), rehearsalOverride(run.stack));
    writeJson(join(dir, REHEARSAL_TEST_FILE), rehearsalTestFile(run.stack, run.stack.outputNames()));
  }
  // A live init reaches the stack's own state backend; a stack that calls modules installs them.
  const init = run.mode === 'rehearse' && !run.stack.json.module ? sharedRehearsalInit(run, dir) : terraformIn(run, dir).init().then(() => ({}));
  const [keys, initEnv] = await Promise.all([deviceKeys(run), init]);
  return { dir, keys, initEnv };
}

/** The stack's variables: the facts it reads, its devices' certificate requests, and the account. */
function writeVariables(run: StackRun, { dir, keys }: PreparedStack): void {
  const variables = {
    ...factsAsVariables(run.workspaceRoot, run.mode, run.readsFactsOf, run.stack.variableNames()),
    ...Object.fromEntries(Object.entries(keys).map(([variable, key]) => [variable, key.csrPem])),
    ...(run.stack.variableNames().includes(ACCOUNT_ID_VARIABLE) && { [ACCOUNT_ID_VARIABLE]: run.account }),
  };
  if (Object.keys(variables).length) writeJson(join(dir, FACT_VARIABLES_FILE), variables);
  else rmSync(join(dir, FACT_VARIABLES_FILE), { force: true });
}

/** What the stack's world is: its state, the device keys behind its certificates, and (live) the account. */
function stateParts(run: StackRun, keys: DeviceKey[]): StateParts {
  const relative = (file: string) => file.slice(run.workspaceRoot.length + 1);
  const keyFiles = { files: keys.map((k) => relative(k.csrFile)), present: keys.map((k) => relative(k.keyFile)) };
  if (run.mode === 'rehearse') return { ...keyFiles, files: [paths.rehearsalStateFile(run.stack.name), ...keyFiles.files] };
  const account = { id: run.account, region: run.stack.region() };
  const s3 = run.stack.json.terraform?.backend?.s3 as { bucket: string; key: string; region?: string } | undefined;
  if (s3) return { ...keyFiles, account, s3: { bucket: s3.bucket, key: s3.key, region: s3.region } };
  return { ...keyFiles, account, files: [paths.localStateFile(run.stack.name), ...keyFiles.files] };
}

/** What a rehearsal's Terraform runs without: it must never reach a real account, whatever credentials the shell holds. */
export const REHEARSAL_ENV = { AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined, AWS_EC2_METADATA_DISABLED: 'true' };

function terraformIn(run: StackRun, dir: string, initEnv: NodeJS.ProcessEnv = {}) {
  const rehearsal = run.mode === 'rehearse' ? REHEARSAL_ENV : {};
  // With a local mirror, init links the provider from it; a plugin cache would add nothing but its
  // race: a parallel init of another stack replaces the cached binary under a running plan.
  const env = terraformEnv({ ...rehearsal, ...(run.cli.pluginDir && { TF_PLUGIN_CACHE_DIR: undefined }), ...initEnv });
  // Terraform refuses a plugin cache dir that does not exist yet.
  if (env.TF_PLUGIN_CACHE_DIR) mkdirSync(env.TF_PLUGIN_CACHE_DIR, { recursive: true });
  const tf = (args: string[], options: Partial<RunOptions> = {}) => {
    run.print(`\n> ${run.cli.binary} ${args.join(' ')}`);
    return runTerraform(run.cli, args, { cwd: dir, env, print: run.print, ...options });
  };
  const init = () => tf(['init', '-input=false', ...(run.cli.pluginDir ? [`-plugin-dir=${run.cli.pluginDir}`] : [])]);
  return { tf, init, env };
}

function lastLineMatching(output: string, pattern: RegExp): string {
  return stripVTControlCharacters(output).split('\n').reverse().find((line) => pattern.test(line))?.trim() ?? '';
}

async function applyLive(run: StackRun, { dir }: PreparedStack): Promise<Omit<ApplyResult, 'factsFile' | 'account'>> {
  const { tf, env } = terraformIn(run, dir);
  // plan validates the configuration first; apply then does exactly the plan the person saw.
  await tf(['plan', '-input=false', `-out=${PLAN_FILE}`]);
  try {
    const { output } = await tf(['apply', '-input=false', PLAN_FILE]);
    const outputs = JSON.parse(await captureTerraform(run.cli, ['output', '-json'], { cwd: dir, env })) as Record<
      string,
      { value: unknown; sensitive: boolean }
    >;
    const values = Object.fromEntries(Object.entries(outputs).filter(([, o]) => !o.sensitive).map(([k, o]) => [k, o.value]));
    return { resources: run.stack.resourceAddresses(), values, outcome: lastLineMatching(output, /^Apply complete!/) };
  } finally {
    rmSync(join(dir, PLAN_FILE), { force: true }); // A plan file can hold sensitive values.
  }
}

/** The stack's providers, started once for Terraform to attach to, where the init is shared (`env.TF_DATA_DIR`). */
async function providersToAttach(run: StackRun, env: NodeJS.ProcessEnv): Promise<AttachedProviders | undefined> {
  // Set already, it names the person's own providers, started to debug them.
  if (!env.TF_DATA_DIR || env.TF_REATTACH_PROVIDERS) return undefined;
  const attached = await attachProviders(env.TF_DATA_DIR, run.stack.requiredProviders(), env);
  run.print(
    attached
      ? '\nProviders: started once, in debug mode, for every step of terraform test to attach to (TF_REATTACH_PROVIDERS)'
      : '\nProviders: not all could start in debug mode, so terraform test starts them itself for each step',
  );
  return attached;
}

async function applyRehearsal(run: StackRun, { dir, initEnv }: PreparedStack): Promise<Omit<ApplyResult, 'factsFile' | 'account'>> {
  const { tf, env } = terraformIn(run, dir, initEnv);
  const attached = await providersToAttach(run, env);
  const collector = rehearsalCollector(run.print);
  try {
    // `terraform test` validates, plans and mock-applies: a separate validate or plan would prove
    // nothing it does not (docs/decisions.md, "Rehearsal").
    await tf(['test', '-json', '-verbose'], { onMessage: collector.onMessage, env: { ...env, ...attached?.env } });
  } finally {
    await attached?.stop();
  }
  const { resources, outputs } = collector.result();
  writeJson(join(run.workspaceRoot, paths.rehearsalStateFile(run.stack.name)), { stack: run.stack.name, resources, outputs });
  return { resources, values: outputs, outcome: `Mock apply complete! Resources: ${resources.length} in memory, none in AWS.` };
}

/** What a preflight found: in a live run, the account the credentials belong to. */
export type PreflightResult = Promise<{ account?: string }>;

/**
 * Applies the stack (or rehearses it) once its preflight (`checked`) passes, then hands on its facts.
 * A rehearsal changes nothing before `terraform test`, so it initializes while the preflight runs; a
 * live init reaches the state backend, so it waits for the preflight's all-clear. If both fail, the
 * preflight's problem is the one reported.
 */
export async function applyStack(base: StackRun, checked: PreflightResult = Promise.resolve({})): Promise<ApplyResult> {
  const prepared = base.mode === 'rehearse' ? prepareStack(base) : checked.then(() => prepareStack(base));
  const [preflight, ready] = await Promise.allSettled([checked, prepared]);
  if (preflight.status === 'rejected') throw preflight.reason;
  if (ready.status === 'rejected') throw ready.reason;
  const run = { ...base, account: preflight.value.account ?? base.account };
  const stack = ready.value;
  forgetUnit(run.workspaceRoot, run.mode, run.stack.name);
  writeVariables(run, stack);
  const result = run.mode === 'live' ? await applyLive(run, stack) : await applyRehearsal(run, stack);
  const factsFile = await recordUnit(run.workspaceRoot, run.mode, run.stack.name, result.values, stateParts(run, Object.values(stack.keys)));
  return { ...result, factsFile, account: run.account };
}

function keptNote(kept: string[]): string {
  return kept.length
    ? `\nKept (prevent_destroy): ${kept.join(', ')}. Terraform no longer manages them; delete them yourself when you no longer need them.`
    : '';
}

/**
 * Destroys what the stack created, but keeps what is marked `prevent_destroy` (it leaves the
 * state first); a rehearsal forgets what it recorded. Returns Terraform's account of it.
 */
export async function destroyStack(run: StackRun): Promise<string> {
  const retained = run.stack.retainedAddresses();
  if (run.mode === 'rehearse') {
    const recorded = join(run.workspaceRoot, paths.rehearsalStateFile(run.stack.name));
    const resources: string[] = existsSync(recorded) ? JSON.parse(readFileSync(recorded, 'utf8')).resources : [];
    rmSync(recorded, { force: true });
    const removed = resources.filter((address) => !retained.includes(address));
    return resources.length
      ? `Rehearsal: a live destroy would remove ${removed.length} resources: ${removed.join(', ')}.${keptNote(retained)}`
      : 'Rehearsal: nothing was rehearsed for this stack, so there is nothing to destroy.';
  }
  const stack = await prepareStack(run);
  writeVariables(run, stack);
  const { tf, env } = terraformIn(run, stack.dir);
  // No state yet is an empty state here.
  const inState = (await captureTerraform(run.cli, ['state', 'list'], { cwd: stack.dir, env }).catch(() => '')).split('\n');
  const kept = retained.filter((address) => inState.includes(address));
  if (kept.length) await tf(['state', 'rm', ...kept]);
  const { output } = await tf(['destroy', '-auto-approve', '-input=false']);
  return `${lastLineMatching(output, /^Destroy complete!/)}${keptNote(kept)}`;
}
