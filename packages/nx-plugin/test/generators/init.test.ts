import { readJson, readNxJson, Tree, writeJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { initGenerator } from '../../src/generators/init/generator';
import { captureLog, changes, REPOSITORY, repositoryText, thrownBy, treeConfig } from './workspace';

const PLUGIN = '@pushbutton/nx-plugin';
const CONFIG_FILES = ['project.yaml', 'network.yaml', 'core.yaml', 'workflows.yaml'];
/** Where a workspace that installed the plugin finds its schemas (the repository's files point into packages/). */
const INSTALLED_PLUGIN = '$schema=../node_modules/@pushbutton/nx-plugin/';

function repositoryTemplates(): string[] {
  const dir = join(REPOSITORY, 'templates');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => statSync(join(dir, file)).isFile())
    .map((file) => `templates/${file.split(sep).join('/')}`)
    .sort();
}

function treeFiles(tree: Tree, folder: string): string[] {
  return tree
    .listChanges()
    .map((change) => change.path)
    .filter((path) => path.startsWith(`${folder}/`))
    .sort();
}

/** The repository's config file as init writes it for `name` and `region`. */
function expectedConfig(file: string, name: string, region: string): string {
  return repositoryText(`config/${file}`)
    .replace('$schema=../packages/nx-plugin/', INSTALLED_PLUGIN)
    .replace(/^name: pushbutton-demo$/m, `name: ${name}`)
    .replace(/^region: us-west-2$/m, `region: ${region}`)
    .replace(/^( {2}availabilityZone:) us-west-2a$/m, `$1 ${region}a`);
}

let tree: Tree;
const log = captureLog();

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
});

describe('init', () => {
  it('registers the plugin in nx.json once, leaving the other settings alone', () => {
    const before = readNxJson(tree)!;
    initGenerator(tree, {});
    expect(readNxJson(tree)).toEqual({ ...before, plugins: [PLUGIN] });
  });

  it('keeps the plugins a workspace already lists, and does not list Pushbutton twice', () => {
    tree.write('nx.json', JSON.stringify({ plugins: ['@nx/js/typescript', { plugin: PLUGIN, options: {} }] }));
    initGenerator(tree, {});
    expect(readNxJson(tree)!.plugins).toEqual(['@nx/js/typescript', { plugin: PLUGIN, options: {} }]);
  });

  it('adds Pushbutton after the plugins a workspace lists', () => {
    tree.write('nx.json', JSON.stringify({ plugins: ['@nx/js/typescript'] }));
    initGenerator(tree, {});
    expect(readNxJson(tree)!.plugins).toEqual(['@nx/js/typescript', PLUGIN]);
  });

  it('with --projectName, registers the plugin with that option and names it in the next command', () => {
    initGenerator(tree, { projectName: 'lab' });
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: PLUGIN, options: { projectName: 'lab' } }]);
    expect(log.info()).toContain('npx nx run lab:provision:rehearse');
  });

  it("adds the repository's config, with the workspace's name and the region, and every template byte for byte", () => {
    initGenerator(tree, { name: 'soil-lab', region: 'eu-central-1' });
    expect(treeFiles(tree, 'config')).toEqual(CONFIG_FILES.map((file) => `config/${file}`).sort());
    for (const file of CONFIG_FILES) {
      expect(tree.read(`config/${file}`, 'utf-8'), file).toBe(expectedConfig(file, 'soil-lab', 'eu-central-1'));
    }
    expect(treeFiles(tree, 'templates')).toEqual(repositoryTemplates());
    for (const path of repositoryTemplates()) {
      expect(tree.read(path)!.equals(readFileSync(join(REPOSITORY, path))), path).toBe(true);
    }
  });

  it('leaves config that validates like `nx run infra:validate`', () => {
    initGenerator(tree, { name: 'soil-lab', region: 'eu-central-1' });
    const config = treeConfig(tree);
    expect(config.project).toMatchObject({ name: 'soil-lab', region: 'eu-central-1' });
    expect(config.network!.subnet.availabilityZone).toBe('eu-central-1a');
    expect(Object.keys(config.core!.coreDevices)).toEqual(['lab-gateway']);
    expect(Object.keys(config.workflows!.workflows)).toContain('read_filtering');
  });

  it("derives the project's name from package.json's, made to fit the schema", () => {
    writeJson(tree, 'package.json', { name: '@Acme/Soil_Lab.Workspace', devDependencies: {} });
    initGenerator(tree, {});
    expect(tree.read('config/project.yaml', 'utf-8')).toMatch(/^name: acme-soil-lab-workspace$/m);
    expect(treeConfig(tree).project.name).toBe('acme-soil-lab-workspace');
  });

  it('defaults to the name of the empty workspace package and us-west-2', () => {
    initGenerator(tree, {});
    expect(tree.read('config/project.yaml', 'utf-8')).toBe(expectedConfig('project.yaml', 'proj-source', 'us-west-2'));
  });

  it('adds .pushbutton/ and cdktf.out/ to a new .gitignore', () => {
    initGenerator(tree, {});
    expect(tree.read('.gitignore', 'utf-8')).toBe('.pushbutton/\ncdktf.out/\n');
  });

  it('adds to an existing .gitignore only the lines it lacks, in any slash form', () => {
    tree.write('.gitignore', 'node_modules\n/.pushbutton');
    initGenerator(tree, {});
    expect(tree.read('.gitignore', 'utf-8')).toBe('node_modules\n/.pushbutton\ncdktf.out/\n');
  });

  it("adds the plugin, at this package's version, to devDependencies and returns the install task", () => {
    const { version } = JSON.parse(repositoryText('packages/nx-plugin/package.json'));
    const install = initGenerator(tree, {});
    expect(readJson(tree, 'package.json').devDependencies).toEqual({ [PLUGIN]: version });
    expect(typeof install).toBe('function');
  });

  it('prints what it did and the next command', () => {
    initGenerator(tree, { name: 'soil-lab' });
    const output = log.info();
    expect(output).toContain('project infra (soil-lab in us-west-2), steps network, core, workflow');
    expect(output).toContain('config/: added 4 files');
    expect(output).toContain(`templates/: added ${repositoryTemplates().length} files`);
    expect(output).toContain('.gitignore: added .pushbutton/, cdktf.out/');
    expect(output).toMatch(/Next, .*: npx nx run infra:provision:rehearse$/);
  });

  it('run again, says Pushbutton is already set up and changes nothing', () => {
    initGenerator(tree, {});
    const before = changes(tree);
    expect(() => initGenerator(tree, { region: 'eu-west-1' })).toThrow(
      'Pushbutton is already set up in this workspace: config/project.yaml exists',
    );
    expect(changes(tree)).toEqual(before);
  });

  it('with --steps network, adds only project.yaml, network.yaml and no step templates', () => {
    initGenerator(tree, { steps: ['network'] });
    expect(treeFiles(tree, 'config')).toEqual(['config/network.yaml', 'config/project.yaml']);
    expect(treeFiles(tree, 'templates')).toEqual(['templates/README.md']);
    expect(Object.keys(treeConfig(tree))).toEqual(['project', 'network']);
  });

  it('adds templates/core only with core, and templates/workflow (and its study report) only with workflow', () => {
    initGenerator(tree, { steps: ['core'] });
    const templates = treeFiles(tree, 'templates');
    expect(templates).toEqual(repositoryTemplates().filter((path) => !path.startsWith('templates/workflow/') && !path.startsWith('templates/workflow-report/')));
    expect(templates.some((path) => path.startsWith('templates/core/'))).toBe(true);
    expect(treeFiles(tree, 'config')).toEqual(['config/core.yaml', 'config/project.yaml']);
  });

  it('refuses a step without the steps whose facts it reads', () => {
    expect(() => initGenerator(tree, { steps: ['workflow'] })).toThrow(
      'The workflow step reads the facts of the network step: choose it too (--steps network,workflow).',
    );
  });

  it('keeps a step config file that exists, and validates the result with it', () => {
    tree.write('config/network.yaml', 'vpcCidr: 10.0.0.0/16\nsubnet: { cidr: 10.0.1.0/24, availabilityZone: us-west-2b }\ningress: {}\n');
    initGenerator(tree, { steps: ['network'] });
    expect(tree.read('config/network.yaml', 'utf-8')).toContain('us-west-2b');
    expect(log.info()).toContain('config/: added 1 file, kept existing config/network.yaml');
  });

  it('rejects a name the schema does not allow with the file, line and key, and writes nothing', () => {
    const before = changes(tree);
    const error = thrownBy(() => initGenerator(tree, { name: 'Soil Lab' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      'config/project.yaml:5:7 name: expected 3 to 32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen; found "Soil Lab"',
    );
    expect(changes(tree)).toEqual(before);
  });

  it("rejects an existing network.yaml whose zone is not in --region's, by its line", () => {
    tree.write('config/network.yaml', repositoryText('config/network.yaml'));
    expect(() => initGenerator(tree, { region: 'eu-central-1' })).toThrow(
      `config/network.yaml:8:21 subnet.availabilityZone: expected an availability zone of the project's region eu-central-1`,
    );
  });
});
