import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ClientDevice,
  CoreDevice,
  CoreSettings,
  IngressRule,
  NetworkSettings,
  ProjectSettings,
  Settings,
  WorkflowInput,
  WorkflowSettings,
} from '@pushbutton/stacks';
import workflowsSchema from '../../schemas/workflows.schema.json';
import coreSchema from '../../schemas/core.schema.json';
import networkSchema from '../../schemas/network.schema.json';
import projectSchema from '../../schemas/project.schema.json';
import { ConfigError, ConfigIssue } from './config-error';
import { ConfigFile } from './config-file';
import { coreIssues, ingressPorts, networkIssues, projectIssues, RawIngressRule, workflowIssues } from './rules';
import { Schema, validateAgainstSchema } from './schema-validation';

/** Everything in the config folder, validated and with defaults filled in. */
export type PushbuttonConfig = Settings;

type StepConfigFile<K extends keyof PushbuttonConfig> = {
  key: K;
  file: string;
  schema: Schema;
  /** Turns schema-valid data into settings, reporting what the schema cannot check. */
  resolve(file: ConfigFile, data: any, project?: ProjectSettings): { settings?: PushbuttonConfig[K]; issues: ConfigIssue[] };
};

const PROJECT_FILE = 'project.yaml';

function resolveProject(data: any): ProjectSettings {
  const state = data.state.backend === 's3' ? { ...data.state, region: data.state.region ?? data.region } : { backend: 'local' };
  return { name: data.name, region: data.region, tags: data.tags, state };
}

const network: StepConfigFile<'network'> = {
  key: 'network',
  file: 'network.yaml',
  schema: networkSchema,
  resolve(file, data: { vpcCidr: string; subnet: NetworkSettings['subnet']; ingress: Record<string, RawIngressRule> }, project) {
    const issues: ConfigIssue[] = [];
    const ingress: Record<string, IngressRule> = {};
    for (const [name, rule] of Object.entries(data.ingress)) {
      const ports = ingressPorts(file, name, rule);
      if ('file' in ports) issues.push(ports);
      else ingress[name] = { description: rule.description, protocol: rule.protocol, cidr: rule.cidr, ...ports };
    }
    const settings: NetworkSettings = { vpcCidr: data.vpcCidr, subnet: data.subnet, ingress };
    issues.push(...networkIssues(file, settings, project));
    return { settings, issues };
  },
};

type RawCore = Omit<CoreSettings, 'thingGroupName' | 'coreDevices' | 'clientDevices'> & {
  coreDevices: Record<string, Omit<CoreDevice, 'name' | 'thingName' | 'sshPort'> & { sshPort?: number } | null>;
  clientDevices: Record<string, Omit<ClientDevice, 'name' | 'thingName'>>;
};

const core: StepConfigFile<'core'> = {
  key: 'core',
  file: 'core.yaml',
  schema: coreSchema,
  resolve(file, data: RawCore, project) {
    // Thing names carry the project's name, so two projects can share an account.
    const thingName = (name: string) => `${project?.name ?? 'project'}-${name}`;
    const settings: CoreSettings = {
      ...data,
      thingGroupName: thingName('cores'),
      coreDevices: Object.fromEntries(
        Object.entries(data.coreDevices).map(([name, d]) => [name, { sshPort: 22, ...d, name, thingName: thingName(name) }]),
      ),
      clientDevices: Object.fromEntries(
        Object.entries(data.clientDevices).map(([name, c]) => [name, { ...c, name, thingName: thingName(name) }]),
      ),
    };
    return { settings, issues: coreIssues(file, settings) };
  },
};

type RawInput = string | WorkflowInput;

/** A bare URL is saved under data/ with its file name. */
function resolveInputs(inputs: RawInput[] | undefined): WorkflowInput[] | undefined {
  return inputs?.map((input) =>
    typeof input === 'string' ? { url: input, path: `data/${new URL(input).pathname.split('/').pop() || 'input'}` } : input,
  );
}

const workflows: StepConfigFile<'workflows'> = {
  key: 'workflows',
  file: 'workflows.yaml',
  schema: workflowsSchema,
  resolve(file, data: any) {
    const settings: WorkflowSettings = {
      results: data.results,
      launch: data.launch,
      workflows: Object.fromEntries(
        Object.entries<any>(data.workflows).map(([name, w]) => [name, { ...w, name, inputs: resolveInputs(w.inputs) ?? [] }]),
      ),
      cases: data.cases.map((c: any) => ({ ...c, parameters: c.parameters ?? {}, inputs: resolveInputs(c.inputs) })),
      studies: Object.fromEntries(
        Object.entries<any>(data.studies).map(([name, s]) => [
          name,
          { include: [], exclude: [], ...s, name, parameters: s.parameters ?? {}, inputs: resolveInputs(s.inputs) },
        ]),
      ),
    };
    return { settings, issues: workflowIssues(file, settings) };
  },
};

/** The step config files, by the key they fill in PushbuttonConfig. */
export const STEP_CONFIG_FILES = [network, core, workflows];

/** The text of a config file by its path (`<configDir>/<file>`), or `undefined` if it does not exist. */
export type ReadConfigText = (path: string) => string | undefined;

function parseValidated(path: string, text: string | undefined, schema: Schema) {
  const { file, issues } = ConfigFile.fromText(path, text);
  if (issues.length) return { file, issues, data: undefined };
  return { file, ...validateAgainstSchema(file, schema) };
}

/**
 * Reads and validates every config file in `configDir` (relative to `workspaceRoot`).
 * Throws a ConfigError listing every problem, with file, line and key, if any file is invalid.
 */
export function loadConfig(workspaceRoot: string, configDir: string): PushbuttonConfig {
  return loadConfigFrom((path) => textOnDisk(workspaceRoot, path), configDir);
}

/** The text of `path` (relative to `root`), or `undefined` if there is no such file. */
function textOnDisk(root: string, path: string): string | undefined {
  const absolute = join(root, path);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
}

/**
 * Validates the config files `readText` gives for `configDir`, as loadConfig does those on disk:
 * for config that is not on disk yet, such as a generator's virtual tree.
 */
export function loadConfigFrom(readText: ReadConfigText, configDir: string): PushbuttonConfig {
  const projectPath = join(configDir, PROJECT_FILE);
  const projectFile = parseValidated(projectPath, readText(projectPath), projectSchema);
  const issues = [...projectFile.issues];
  const project = issues.length ? undefined : resolveProject(projectFile.data);
  const config: Partial<PushbuttonConfig> = { project };
  for (const step of STEP_CONFIG_FILES) {
    const path = join(configDir, step.file);
    const text = readText(path);
    if (text === undefined) continue;
    const stepFile = parseValidated(path, text, step.schema);
    issues.push(...stepFile.issues);
    if (stepFile.issues.length) continue;
    const resolved = step.resolve(stepFile.file, stepFile.data, project);
    issues.push(...resolved.issues);
    (config as Record<string, unknown>)[step.key] = resolved.settings;
  }
  if (project) issues.push(...projectIssues(projectFile.file, project, config));
  if (issues.length) throw new ConfigError(issues);
  return config as PushbuttonConfig;
}
