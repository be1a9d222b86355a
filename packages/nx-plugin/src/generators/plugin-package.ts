import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { StepDefinition } from '../steps/definition';
import { CONFIG_DIR, PROJECT_CONFIG_FILE } from '../steps/registry';

export const PLUGIN_NAME = '@pushbutton/nx-plugin';

export interface PluginPackage {
  dir: string;
  version: string;
}

/** This plugin's package folder and version, found from this file wherever the package is installed. */
export function pluginPackage(): PluginPackage {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (name === PLUGIN_NAME) return { dir, version };
    }
    if (dirname(dir) === dir) throw new Error(`Cannot find the package.json of ${PLUGIN_NAME} above ${__dirname}`);
  }
}

/**
 * The folder that holds the starter `config/` and `templates/`: the package's `starters/` when
 * published, else this repository's own, two levels above the package. One source, so the
 * starters cannot drift from what the repository runs and tests.
 */
export function startersDir(plugin: PluginPackage): string {
  const packaged = join(plugin.dir, 'starters');
  if (existsSync(packaged)) return packaged;
  const repository = join(plugin.dir, '..', '..');
  if (existsSync(join(repository, CONFIG_DIR, PROJECT_CONFIG_FILE))) return repository;
  throw new Error(`${PLUGIN_NAME} has no starter config: expected ${packaged}/config and ${packaged}/templates`);
}

/**
 * The JSON Schema of a config file (project.yaml's, or a step's) as a file in `<workspaceRoot>/config`
 * refers to it: inside the workspace when the plugin's source is (as in Pushbutton's own repository),
 * else where a package manager links it (a real path into a pnpm store would break on the next upgrade).
 */
export function schemaFromConfigDir(workspaceRoot: string, plugin: PluginPackage, step?: StepDefinition): string {
  const path = relative(workspaceRoot, plugin.dir);
  const insideWorkspace = !path.startsWith('..') && !isAbsolute(path) && !path.split(sep).includes('node_modules');
  const pluginDir = insideWorkspace ? ['..', ...path.split(sep)].join('/') : `../node_modules/${PLUGIN_NAME}`;
  return `${pluginDir}/${step ? `src/steps/${step.name}/schema.json` : 'schemas/project.schema.json'}`;
}

/** The `# yaml-language-server: $schema=...` comment of a config file. */
export const schemaComment = (schema: string) => `# yaml-language-server: $schema=${schema}`;

/** Points a config file's schema comment at `schema`. */
export function withSchemaComment(text: string, schema: string): string {
  return text.replace(/^# yaml-language-server: \$schema=.*$/m, schemaComment(schema));
}
