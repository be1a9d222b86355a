import { join } from 'node:path';
import type { ProjectSettings, Settings } from '@pushbutton/stacks';
import projectSchema from '../../schemas/project.schema.json';
import { PROJECT_CONFIG_FILE, STEPS } from '../steps/registry';
import type { StepDefinition } from '../steps/definition';
import { ConfigError } from './config-error';
import { ConfigFile } from './config-file';
import { Schema, validateAgainstSchema } from './schema-validation';
import type { StepConfig, WorkspaceFiles } from './step-config';

/** Everything in the config folder, validated and with defaults filled in. */
export type PushbuttonConfig = Settings;

/** Each step's config file: its schema and rules, from the step's folder (loaded with this module). */
const STEP_CONFIGS = STEPS.map((step: StepDefinition) => ({
  step,
  schema: require(`../steps/${step.name}/schema.json`) as Schema,
  config: require(`../steps/${step.name}/config`).config as StepConfig<unknown, unknown>,
}));

function resolveProject(data: any): ProjectSettings {
  const state = data.state.backend === 's3' ? { ...data.state, region: data.state.region ?? data.region } : { backend: 'local' };
  return { name: data.name, region: data.region, tags: data.tags, state };
}

/** The text of a config file by its path (`<configDir>/<file>`), or `undefined` if it does not exist. */
export type ReadConfigText = (path: string) => string | undefined;

function parseValidated(path: string, text: string | undefined, schema: Schema) {
  const { file, issues } = ConfigFile.fromText(path, text);
  if (issues.length) return { file, issues, data: undefined };
  return { file, ...validateAgainstSchema(file, schema) };
}

/** The names of the files directly in a folder (relative to the workspace root), or `undefined` if there is none. */
export type ListFiles = (dir: string) => string[] | undefined;

/**
 * Validates the config files `readText` gives for `configDir`, as loadConfig does those on disk:
 * for config that is not on disk yet, such as a generator's virtual tree. `readText` and `listFiles`
 * also give the workspace's files that config names (custom components).
 */
export function loadConfigFrom(readText: ReadConfigText, configDir: string, listFiles: ListFiles): PushbuttonConfig {
  const workspace: WorkspaceFiles = { read: readText, list: listFiles };
  const projectPath = join(configDir, PROJECT_CONFIG_FILE);
  const projectFile = parseValidated(projectPath, readText(projectPath), projectSchema);
  const issues = [...projectFile.issues];
  const project = issues.length ? undefined : resolveProject(projectFile.data);
  const config: Record<string, unknown> = { project };
  for (const { step, schema, config: stepConfig } of STEP_CONFIGS) {
    const path = join(configDir, step.configFile);
    const text = readText(path);
    if (text === undefined) continue;
    const stepFile = parseValidated(path, text, schema);
    issues.push(...stepFile.issues);
    if (stepFile.issues.length) continue;
    const resolved = stepConfig.resolve({ file: stepFile.file, data: stepFile.data, project, projectFile: project && projectFile.file, workspace });
    issues.push(...resolved.issues);
    config[step.settingsKey] = resolved.settings;
  }
  if (issues.length) throw new ConfigError(issues);
  return config as PushbuttonConfig;
}
