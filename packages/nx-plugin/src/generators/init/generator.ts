import { addDependenciesToPackageJson, GeneratorCallback, logger, readJson, readNxJson, Tree, updateNxJson } from '@nx/devkit';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { paths } from '../../paths';
import type { StepDefinition } from '../../steps/definition';
import { CONFIG_DIR, DEFAULT_PROJECT_NAME, STEPS } from '../../steps/registry';
import { PLUGIN_NAME, pluginPackage, schemaFromConfigDir, startersDir, withSchemaComment } from '../plugin-package';
import { configFileOf, NETWORK_FILE, pluginEntry, PROJECT_FILE, stepsReadBy, validateConfig } from '../workspace-config';
import { replaceScalar } from '../yaml-text';
import type { InitGeneratorSchema } from './schema';

const DEFAULT_REGION = 'us-west-2';
const TEMPLATES_DIR = 'templates';
/** What runs write and nobody commits. */
const RUN_OUTPUTS = [`${paths.runDir}/`, 'cdktf.out/'];

interface InitSettings {
  projectName: string;
  name: string;
  region: string;
  steps: StepDefinition[];
}

/** Adds Pushbutton to an Nx workspace: plugin registration, starter config and templates, git-ignores, the dependency. */
export function initGenerator(tree: Tree, options: InitGeneratorSchema): GeneratorCallback {
  if (tree.exists(PROJECT_FILE)) {
    throw new Error(
      `Pushbutton is already set up in this workspace: ${PROJECT_FILE} exists, and init never overwrites config. ` +
        `Edit ${CONFIG_DIR}/ directly, or add workflows and studies with @pushbutton/nx-plugin:workflow and :study.`,
    );
  }
  const settings = initSettings(tree, options);
  const plugin = pluginPackage();
  const starters = startersDir(plugin);
  const configPaths = [PROJECT_FILE, ...settings.steps.map(configFileOf)];
  const schemaOf = (path: string) => schemaFromConfigDir(tree.root, plugin, settings.steps.find((step) => configFileOf(step) === path));
  const config = starterConfig(configPaths.filter((path) => !tree.exists(path)), starters, settings, schemaOf);
  // Throws on invalid config (an unfitting --name or --region) before anything is written.
  validateConfig(tree, config);

  for (const [path, text] of Object.entries(config)) tree.write(path, text);
  const templates = copyStarterTemplates(tree, starters, settings.steps);
  const registered = registerPlugin(tree, settings.projectName);
  const ignored = ignoreRunOutputs(tree);
  const install = addDependenciesToPackageJson(tree, {}, { [PLUGIN_NAME]: plugin.version }, undefined, options.keepExistingVersions);

  logger.info(
    [
      `Pushbutton: project ${settings.projectName} (${settings.name} in ${settings.region}), steps ${settings.steps.map((s) => s.name).join(', ')}.`,
      `  ${listed('config', Object.keys(config), configPaths)}`,
      `  ${listed('templates', templates.written, templates.all)}`,
      `  nx.json: ${registered ? 'registered' : 'already registers'} ${PLUGIN_NAME}`,
      `  .gitignore: ${ignored.length ? `added ${ignored.join(', ')}` : `already ignores ${RUN_OUTPUTS.join(', ')}`}`,
      `  package.json: ${PLUGIN_NAME} ${plugin.version} in devDependencies`,
      '',
      `Next, the whole run offline, with no AWS account: npx nx run ${settings.projectName}:provision:rehearse`,
    ].join('\n'),
  );
  return install;
}

export default initGenerator;

function initSettings(tree: Tree, options: InitGeneratorSchema): InitSettings {
  return {
    projectName: options.projectName ?? DEFAULT_PROJECT_NAME,
    name: options.name ?? fittedProjectName(readJson<{ name?: string }>(tree, 'package.json').name ?? basename(tree.root)),
    region: options.region ?? DEFAULT_REGION,
    steps: chosenSteps(options.steps ?? STEPS.map((step) => step.name)),
  };
}

/** A package name made to fit project.yaml's `name`: 3 to 32 lowercase letters, digits or hyphens, from a letter. */
function fittedProjectName(packageName: string): string {
  const fitted = packageName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return fitted.length >= 3 ? fitted : 'pushbutton';
}

/** The named steps, in provisioning order; each step whose facts one of them reads must be among them. */
function chosenSteps(names: string[]): StepDefinition[] {
  const unknown = names.filter((name) => !STEPS.some((step) => step.name === name));
  if (unknown.length) throw new Error(`Unknown step ${unknown.join(', ')}: the steps are ${STEPS.map((s) => s.name).join(', ')}.`);
  const steps = STEPS.filter((step) => names.includes(step.name));
  for (const step of steps) {
    const missing = stepsReadBy(step).filter((needed) => !steps.includes(needed));
    if (missing.length) {
      const suggestion = STEPS.filter((s) => steps.includes(s) || missing.includes(s)).map((s) => s.name);
      throw new Error(
        `The ${step.name} step reads the facts of the ${missing.map((s) => s.name).join(' and ')} step: ` +
          `choose it too (--steps ${suggestion.join(',')}).`,
      );
    }
  }
  return steps;
}

/** The starter text of each config file at `paths`, with this workspace's name, region and schema location. */
function starterConfig(paths: string[], starters: string, settings: InitSettings, schemaOf: (path: string) => string): Record<string, string> {
  return Object.fromEntries(
    paths.map((path) => {
      const text = withSchemaComment(readFileSync(join(starters, path), 'utf8'), schemaOf(path));
      return [path, withSettings(path, text, settings)];
    }),
  );
}

function withSettings(path: string, text: string, { name, region }: InitSettings): string {
  if (path === PROJECT_FILE) return replaceScalar(replaceScalar(text, ['name'], name), ['region'], region);
  if (path === NETWORK_FILE) return replaceScalar(text, ['subnet', 'availabilityZone'], `${region}a`);
  return text;
}

/** Copies every starter template except those of steps not chosen, byte for byte, keeping files that exist. */
function copyStarterTemplates(tree: Tree, starters: string, steps: StepDefinition[]): { all: string[]; written: string[] } {
  const source = join(starters, TEMPLATES_DIR);
  const otherSteps = STEPS.filter((step) => !steps.includes(step)).map((step) => step.name);
  const all = (readdirSync(source, { recursive: true }) as string[])
    .filter((file) => statSync(join(source, file)).isFile())
    .map((file) => file.split(sep).join('/'))
    // A step's templates are templates/<step>/ and any templates/<step>-<more>/ (the workflow step's study report).
    .filter((file) => !otherSteps.some((step) => file.split('/')[0] === step || file.startsWith(`${step}-`)))
    .sort()
    .map((file) => `${TEMPLATES_DIR}/${file}`);
  const written = all.filter((path) => !tree.exists(path));
  for (const path of written) tree.write(path, readFileSync(join(starters, path)));
  return { all, written };
}

/** Lists the plugin in nx.json unless it is there already; returns whether it added it. */
function registerPlugin(tree: Tree, projectName: string): boolean {
  const nxJson = readNxJson(tree) ?? {};
  if (pluginEntry(nxJson)) return false;
  const plugins = nxJson.plugins ?? [];
  const entry = projectName === DEFAULT_PROJECT_NAME ? PLUGIN_NAME : { plugin: PLUGIN_NAME, options: { projectName } };
  updateNxJson(tree, { ...nxJson, plugins: [...plugins, entry] });
  return true;
}

/** Adds the lines of RUN_OUTPUTS that .gitignore lacks (in any slash form); returns those it added. */
function ignoreRunOutputs(tree: Tree): string[] {
  const text = tree.read('.gitignore', 'utf-8') ?? '';
  const bare = (line: string) => line.trim().replace(/^\/|\/$/g, '');
  const present = new Set(text.split(/\r?\n/).map(bare));
  const missing = RUN_OUTPUTS.filter((line) => !present.has(bare(line)));
  if (missing.length) tree.write('.gitignore', `${text}${text && !text.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
  return missing;
}

function listed(folder: string, written: string[], all: string[]): string {
  const kept = all.filter((path) => !written.includes(path));
  return `${folder}/: added ${written.length} file${written.length === 1 ? '' : 's'}${kept.length ? `, kept existing ${kept.join(', ')}` : ''}`;
}
