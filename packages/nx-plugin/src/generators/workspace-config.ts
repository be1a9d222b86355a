import { ExpandedPluginConfiguration, normalizePath, readNxJson, Tree } from '@nx/devkit';
import { loadConfigFrom, PushbuttonConfig } from '../config/load-config';
import { CONFIG_DIR, DEFAULT_PROJECT_NAME, PROJECT_CONFIG_FILE, STEPS } from '../steps';
import { PLUGIN_NAME } from './plugin-package';

export const PROJECT_FILE = `${CONFIG_DIR}/${PROJECT_CONFIG_FILE}`;
export const WORKFLOWS_FILE = `${CONFIG_DIR}/${STEPS.find((step) => step.name === 'workflow')!.configFile}`;
export const NETWORK_FILE = `${CONFIG_DIR}/${STEPS.find((step) => step.name === 'network')!.configFile}`;

/**
 * Validates the workspace's config as it would be with `changes` (path: new text) written,
 * with the schemas and rules of `nx run infra:validate`. Throws its ConfigError if invalid,
 * so a generator that validates before writing leaves the tree unchanged.
 */
export function validateConfig(tree: Tree, changes: Record<string, string> = {}): PushbuttonConfig {
  return loadConfigFrom((path) => changes[normalizePath(path)] ?? tree.read(path, 'utf-8') ?? undefined, CONFIG_DIR);
}

export function requirePushbutton(tree: Tree): void {
  if (!tree.exists(PROJECT_FILE)) {
    throw new Error(`Pushbutton is not set up in this workspace (no ${PROJECT_FILE}): run \`npx nx g @pushbutton/nx-plugin:init\` first.`);
  }
}

/** The name of the project the plugin infers: its projectName option in nx.json, else infra. */
export function infraProjectName(tree: Tree): string {
  const entry = readNxJson(tree)?.plugins?.find(
    (plugin): plugin is ExpandedPluginConfiguration<{ projectName?: string }> => typeof plugin !== 'string' && plugin.plugin === PLUGIN_NAME,
  );
  return entry?.options?.projectName ?? DEFAULT_PROJECT_NAME;
}
