import type { ExecutorContext } from '@nx/devkit';
import { ConfigError } from '../config/config-error';
import { PreflightError } from '../terraform/preflight';
import type { Mode } from '../mode';
import { TerraformError } from '../terraform/terraform-cli';
import { withUnitLock } from '../unit-lock';

const PROVIDER_HINT =
  'If Terraform could not download providers (no network), point it at a provider mirror: ' +
  'set PUSHBUTTON_TF_PLUGIN_DIR to a directory laid out as registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/, ' +
  'or configure a filesystem_mirror in a Terraform CLI config (TF_CLI_CONFIG_FILE).';

function explain(error: unknown): string {
  if (error instanceof ConfigError || error instanceof PreflightError) return error.message;
  if (error instanceof TerraformError) {
    const providers = / init\b/.test(error.command) && /provider|registry/i.test(error.output);
    return `${error.message} (its output is above).${providers ? `\n${PROVIDER_HINT}` : ''}`;
  }
  // Messages are written for the user; the stack is for `--verbose` (which sets NX_VERBOSE_LOGGING).
  if (!(error instanceof Error)) return String(error);
  return process.env.NX_VERBOSE_LOGGING === 'true' ? (error.stack ?? error.message) : error.message;
}

/** Runs an executor's body; any failure is printed as a sentence, and the task fails. */
export async function runExecutor(body: () => Promise<void>): Promise<{ success: boolean }> {
  try {
    await body();
    return { success: true };
  } catch (error) {
    console.error(`\n${explain(error)}`);
    return { success: false };
  }
}

/** runExecutor for what changes one unit's world: one run at a time per unit, a second refuses at once, naming the first. */
export function runUnitExecutor(context: ExecutorContext, mode: Mode, unit: string, body: () => Promise<void>): Promise<{ success: boolean }> {
  return runExecutor(() => withUnitLock(context.root, mode, unit, body));
}

/** The config folder: the root of the project this executor runs for. */
export function configDirOf(context: ExecutorContext): string {
  return context.projectsConfigurations.projects[context.projectName!].root;
}
