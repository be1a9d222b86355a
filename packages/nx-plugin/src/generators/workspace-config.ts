import { normalizePath, NxJsonConfiguration, readNxJson, Tree } from '@nx/devkit';
import { loadConfigFrom, PushbuttonConfig } from '../config/parse-config';
import type { StepDefinition } from '../steps/definition';
import { CONFIG_DIR, DEFAULT_PROJECT_NAME, PROJECT_CONFIG_FILE, STEPS, stepNamed } from '../steps/registry';
import { PLUGIN_NAME } from './plugin-package';

export const PROJECT_FILE = `${CONFIG_DIR}/${PROJECT_CONFIG_FILE}`;
export const configFileOf = (step: StepDefinition) => `${CONFIG_DIR}/${step.configFile}`;
export const WORKFLOW_STEP = stepNamed('workflow');
export const WORKFLOWS_FILE = configFileOf(WORKFLOW_STEP);
export const NETWORK_FILE = configFileOf(stepNamed('network'));

/** The other steps whose facts a step's units read. */
export function stepsReadBy(step: StepDefinition): StepDefinition[] {
  const read = step.units.flatMap((unit) => unit.readsFactsOf);
  return STEPS.filter((other) => other !== step && other.units.some((unit) => read.includes(unit.name)));
}

/**
 * Validates the workspace's config as it would be with `changes` (path: new text) written,
 * with the schemas and rules of `nx run infra:validate`. Throws its ConfigError if invalid,
 * so a generator that validates before writing leaves the tree unchanged.
 */
export function validateConfig(tree: Tree, changes: Record<string, string> = {}): PushbuttonConfig {
  const files = (dir: string) => (tree.exists(dir) ? tree.children(dir).filter((name) => tree.isFile(`${dir}/${name}`)).sort() : undefined);
  return loadConfigFrom((path) => changes[normalizePath(path)] ?? tree.read(path, 'utf-8') ?? undefined, CONFIG_DIR, files);
}

export function requirePushbutton(tree: Tree): void {
  if (!tree.exists(PROJECT_FILE)) {
    throw new Error(`Pushbutton is not set up in this workspace (no ${PROJECT_FILE}): run \`npx nx g @pushbutton/nx-plugin:init\` first.`);
  }
}

/** Pushbutton's entry in nx.json's plugins, by name or with options; undefined if it has none. */
export function pluginEntry(nxJson: NxJsonConfiguration | null) {
  return nxJson?.plugins?.find((entry) => (typeof entry === 'string' ? entry : entry.plugin) === PLUGIN_NAME);
}

/** The name of the project the plugin infers: its projectName option in nx.json, else infra. */
export function infraProjectName(tree: Tree): string {
  const entry = pluginEntry(readNxJson(tree));
  const options = typeof entry === 'object' ? (entry.options as { projectName?: string } | undefined) : undefined;
  return options?.projectName ?? DEFAULT_PROJECT_NAME;
}
