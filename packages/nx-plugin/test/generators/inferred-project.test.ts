import { readNxJson, Tree } from '@nx/devkit';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { studyGenerator } from '../../src/generators/study/generator';
import { workflowGenerator } from '../../src/generators/workflow/generator';
import { createNodes } from '../../src/index';
import { expandCases } from '../../src/steps/workflow/cases';
import { captureLog, initializedWorkspace } from './workspace';

const PLUGIN = '@pushbutton/nx-plugin';
let root: string;
captureLog();

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-generated-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes what the generators made to `root`, as `nx g` would to the workspace. */
function writeToDisk(tree: Tree): void {
  for (const change of tree.listChanges()) {
    if (change.type === 'DELETE') continue;
    mkdirSync(dirname(join(root, change.path)), { recursive: true });
    writeFileSync(join(root, change.path), change.content!);
  }
}

/** The project the plugin infers from the workspace on disk, with the options nx.json gives it. */
async function inferredProject(tree: Tree) {
  const entry = readNxJson(tree)!.plugins!.find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === PLUGIN)!;
  const options = typeof entry === 'string' ? {} : (entry.options as { projectName?: string });
  const [pattern, create] = createNodes;
  expect(pattern).toBe('config/project.yaml');
  const results = await create(['config/project.yaml'], options, { workspaceRoot: root, nxJsonConfiguration: {} });
  return results[0][1].projects!.config;
}

function targetsOf(project: { targets?: Record<string, unknown> }): string[] {
  return Object.keys(project.targets!);
}

describe('a workspace set up by the generators', () => {
  it('has project infra with the targets of every step, and config that validates on disk', async () => {
    const tree = initializedWorkspace({ name: 'soil-lab' });
    workflowGenerator(tree, { name: 'align', command: 'bwa mem ref.fa reads.fq', workdir: '/opt/align' });
    studyGenerator(tree, { name: 'k-sweep', workflow: 'align', matrix: ['align.k=19,25,31'] });
    writeToDisk(tree);

    const project = await inferredProject(tree);
    expect(project.name).toBe('infra');
    expect(targetsOf(project)).toEqual(
      expect.arrayContaining(['validate', 'network-apply', 'core-devices-apply', 'core-render', 'workflow-apply', 'workflow-launch', 'status', 'network', 'core', 'workflow', 'provision', 'destroy']),
    );
    expect(project.targets!.provision.dependsOn).toEqual(['network', 'core', 'workflow']);

    const config = loadConfig(root, 'config');
    expect(config.project.name).toBe('soil-lab');
    expect(expandCases(config.workflows!).filter((c) => c.study === 'k-sweep')).toHaveLength(3);
  });

  it('with --steps network and --projectName lab, has project lab with only the network targets', async () => {
    const tree = initializedWorkspace({ steps: ['network'], projectName: 'lab' });
    writeToDisk(tree);

    const project = await inferredProject(tree);
    expect(project.name).toBe('lab');
    expect(targetsOf(project)).toEqual(['validate', 'network-synth', 'network-apply', 'network-destroy', 'network', 'provision', 'destroy', 'iam-policy']);
    expect(Object.keys(loadConfig(root, 'config'))).toEqual(['project', 'network']);
  });
});
