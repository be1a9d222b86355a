import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { createNodes, createNodesV2 } from '../src/index';
import { STEPS } from '../src/steps/registry';

const WORKSPACE = join(__dirname, '../../..');
const PLUGIN_DIR = join(__dirname, '..');
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-nodes-'));
  cpSync(join(WORKSPACE, 'config'), join(root, 'config'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function infer() {
  const [pattern, create] = createNodes;
  expect(pattern).toBe('config/project.yaml');
  const results = await create(['config/project.yaml'], {}, { workspaceRoot: root, nxJsonConfiguration: {} });
  return results[0][1].projects!.config;
}

/** What a command target runs: the executor and options its command line names, which its options repeat. */
function commandOf(target: TargetConfiguration) {
  const [node, bin, executor, ...pairs] = target.options.command.split(' ');
  expect(node).toBe('node');
  expect(resolve(root, bin)).toBe(join(PLUGIN_DIR, 'bin/run-target.js'));
  const options = Object.fromEntries(pairs.map((pair: string) => pair.split('=')));
  const { command: _, forwardAllArgs, ...declared } = target.options;
  expect(forwardAllArgs).toBe(false);
  expect(declared).toEqual(options);
  const rehearse = target.configurations?.rehearse;
  if (rehearse) expect(rehearse.command).toBe(target.options.command.replace('mode=live', 'mode=rehearse'));
  return { executor, options };
}

describe('project inference', () => {
  it('exports the batched form under both names', () => {
    expect(createNodesV2).toBe(createNodes);
  });

  it('infers project infra with targets for every unit of every step, each described', async () => {
    const project = await infer();
    expect(project.name).toBe('infra');
    // Per step in the registry's order: each unit's targets by its kind, its commands, the step's own target.
    const byKind = { stack: ['-synth', '-apply', '-destroy'], effect: ['', '-destroy'], render: [''], deliver: ['', '-destroy'] };
    const expected = STEPS.flatMap((step) => [
      ...step.units.flatMap((unit) => byKind[unit.kind].map((suffix) => `${unit.name}${suffix}`)),
      ...(step.commands ?? []).map((command) => command.name),
      step.name,
    ]);
    expect(Object.keys(project.targets!)).toEqual(['validate', ...expected, 'provision', 'destroy', 'iam-policy']);
    expect(expected).toEqual(expect.arrayContaining(['network-apply', 'core-account-link', 'core-deliver', 'core-status', 'workflow-launch', 'status', 'retry', 'core']));
    for (const [name, target] of Object.entries(project.targets!)) {
      // Sentences, as `--json` and the graph show them, with no word or phrase said twice in a row.
      expect(target.metadata?.description, name).toMatch(/^[A-Z].*\.$/);
      expect(target.metadata?.description, name).not.toMatch(/\b(\w.*?)\s+\1(?=\W|$)/i);
    }
  });

  it("describes every option a target sets in its executor's schema, with its default", async () => {
    const { targets } = await infer();
    const executors = JSON.parse(readFileSync(join(PLUGIN_DIR, 'executors.json'), 'utf8')).executors;
    for (const [name, target] of Object.entries(targets!)) {
      if (target.executor === 'nx:noop') continue;
      const { executor, options } = target.executor === 'nx:run-commands' ? commandOf(target) : { executor: target.executor!.split(':')[1], options: { ...target.options, ...target.configurations?.rehearse } };
      const schema = JSON.parse(readFileSync(join(PLUGIN_DIR, executors[executor].schema), 'utf8'));
      expect(schema.description, executor).toMatch(/\w+/);
      for (const option of Object.keys(options)) {
        expect(Object.keys(schema.properties), `${name}: option ${option}`).toContain(option);
      }
      for (const [option, property] of Object.entries<{ description?: string; default?: unknown }>(schema.properties)) {
        expect(property.description, `${executor}: ${option}`).toMatch(/\w+/);
        const defaulted = 'default' in property || /Default: /.test(property.description!) || schema.required?.includes(option);
        expect(defaulted, `${executor}: ${option} has a default or is required`).toBe(true);
      }
    }
  });

  it('wires the steps: synth after validate, apply after synth and the facts it reads, provision after everything', async () => {
    const { targets } = await infer();
    expect(targets!['network-synth'].dependsOn).toEqual(['validate']);
    expect(targets!['network-apply'].dependsOn).toEqual(['network-synth']);
    expect(targets!['network-apply'].configurations).toEqual({ rehearse: { mode: 'rehearse' } });
    // The core step reads no network facts, so the two provision in parallel.
    expect(targets!['core-account-apply'].dependsOn).toEqual(['core-account-synth']);
    expect(targets!['core-devices-apply'].dependsOn).toEqual(['core-devices-synth', 'core-account-apply']);
    // After the delivery: a core it (re)installed gets the deployment in the same run.
    expect(targets!['core-deploy'].dependsOn).toEqual(['validate', 'core-devices-apply', 'core-components', 'core-account-link', 'core-deliver']);
    // The custom components' versions, made from the account's component bucket, before they are deployed.
    expect(targets!['core-components'].dependsOn).toEqual(['validate', 'core-account-apply']);
    expect(targets!['core-deliver'].dependsOn).toEqual(['validate', 'core-render']);
    // The workflow step reads the network's facts (subnet, security group), so it waits for it.
    expect(targets!['workflow-apply'].dependsOn).toEqual(['workflow-synth', 'network-apply']);
    expect(targets!['workflow-launch'].dependsOn).toEqual(['validate', 'workflow-apply', 'workflow-render']);
    // Each step's target runs all of its units, after the steps whose facts it reads; provision runs every step.
    expect(targets!.network.dependsOn).toEqual(['network-apply']);
    expect(targets!.core.dependsOn).toEqual(['core-account-apply', 'core-devices-apply', 'core-account-link', 'core-components', 'core-render', 'core-deliver', 'core-deploy']);
    expect(targets!.workflow.dependsOn).toEqual(['network', 'workflow-apply', 'workflow-render', 'workflow-launch']);
    expect(targets!.core.configurations).toEqual({ rehearse: { mode: 'rehearse', command: expect.stringMatching(/ summary mode=rehearse step=core$/) } });
    expect(targets!.provision.dependsOn).toEqual(['network', 'core', 'workflow']);
  });

  it('groups the targets by step, for `nx show project --web` and the graph', async () => {
    const project = await infer();
    const groups = project.metadata!.targetGroups as Record<string, string[]>;
    expect(Object.keys(groups)).toEqual(['network', 'core', 'workflow', 'project']);
    expect(groups.core).toEqual(expect.arrayContaining(['core', 'core-deploy', 'core-deploy-destroy', 'core-status']));
    expect(groups.project).toEqual(['validate', 'provision', 'destroy', 'iam-policy']);
    expect(Object.values(groups).flat().sort()).toEqual(Object.keys(project.targets!).sort());
  });

  it('tears down in reverse: a unit is undone after every unit that reads its facts', async () => {
    const { targets } = await infer();
    const undoneBefore = (target: string) => (targets![target].dependsOn as { target: string }[]).map((d) => (typeof d === 'string' ? d : d.target));
    expect(undoneBefore('core-account-destroy')).toEqual(['core-account-synth', 'core-devices-destroy', 'core-account-link-destroy', 'core-components-destroy']);
    // The component versions go after the deployments that deploy them, and before the bucket of their artifacts.
    expect(undoneBefore('core-components-destroy')).toEqual(['core-deploy-destroy']);
    expect(undoneBefore('core-devices-destroy')).toEqual(['core-devices-synth', 'core-deploy-destroy']);
    // Workers are terminated before the stack goes, and the stack before the network it runs in.
    expect(undoneBefore('network-destroy')).toEqual(['network-synth', 'workflow-destroy']);
    expect(undoneBefore('workflow-destroy')).toEqual(['workflow-synth', 'workflow-launch-destroy']);
    // Greengrass is uninstalled from the devices first: a running nucleus would re-register the core device deploy deletes.
    expect(undoneBefore('core-deploy-destroy')).toEqual(['core-deliver-destroy']);
    expect(undoneBefore('core-deliver-destroy')).toEqual([]);
    expect(undoneBefore('destroy')).toEqual(expect.arrayContaining(['core-deliver-destroy', 'core-deploy-destroy']));
  });

  it('passes --uninstall and --removeKeys given to destroy on to every unit it undoes', async () => {
    const { targets } = await infer();
    const forwarded = (targets!.destroy.dependsOn as { params?: string }[]).map((d) => d.params);
    expect(forwarded.length).toBeGreaterThan(0);
    expect(new Set(forwarded)).toEqual(new Set(['forward']));
    expect(targets!['core-deploy-destroy'].dependsOn).toEqual([{ target: 'core-deliver-destroy', params: 'forward' }]);
  });

  it('iam-policy synthesizes every stack of the config first, and is never cached', async () => {
    const { targets } = await infer();
    expect(targets!['iam-policy'].dependsOn).toEqual(['network-synth', 'core-account-synth', 'core-devices-synth', 'workflow-synth']);
    expect(targets!['iam-policy'].cache).toBe(false);
  });

  it('renders a step when its templates change, and only that step', async () => {
    const { targets } = await infer();
    expect(targets!['core-render'].inputs).toContain('{workspaceRoot}/templates/core/**/*');
    expect(targets!['workflow-render'].inputs).toContain('{workspaceRoot}/templates/workflow/**/*');
    const others = Object.entries(targets!).filter(([name]) => !name.endsWith('-render'));
    for (const [name, target] of others) expect(JSON.stringify(target.inputs ?? []), name).not.toContain('templates/');
    expect(JSON.stringify(targets!['core-render'].inputs)).not.toContain('templates/workflow');
  });

  it("keys a unit on the workspace files it declares it reads (the custom components), and validate, which checks them, too", async () => {
    const { targets } = await infer();
    const components = '{workspaceRoot}/components/**/*';
    expect(targets!['core-components'].inputs).toContain(components);
    expect(targets!.validate.inputs).toContain(components);
    const others = Object.entries(targets!).filter(([name]) => name !== 'core-components' && name !== 'validate');
    for (const [name, target] of others) expect(JSON.stringify(target.inputs ?? []), name).not.toContain('components/');
    // Its other inputs are an effect's: its config, Pushbutton's code, its SDK packages, the facts it reads.
    expect(targets!['core-components'].inputs).toEqual(
      expect.arrayContaining([
        '{projectRoot}/core.yaml',
        expect.objectContaining({ externalDependencies: expect.arrayContaining(['@aws-sdk/client-greengrassv2', '@aws-sdk/client-s3']) }),
        { dependentTasksOutputFiles: '**/*', transitive: false },
      ]),
    );
  });

  it('keys the apply on the synthesized Terraform and the facts it reads only (its hasher adds the state token)', async () => {
    const { targets } = await infer();
    expect(targets!['network-apply'].inputs).toEqual([
      { dependentTasksOutputFiles: '**/*', transitive: false },
      { externalDependencies: [] },
    ]);
    expect(targets!['network-apply'].outputs).toEqual(['{workspaceRoot}/.pushbutton/facts/{options.mode}/network.json']);
    expect(targets!['network-synth'].inputs).toContain('{projectRoot}/network.yaml');
  });

  it("keys every target that changes the world on its state token, through its executor's hasher, and nothing else", async () => {
    const { targets } = await infer();
    const executors = JSON.parse(readFileSync(join(__dirname, '../executors.json'), 'utf8')).executors;
    const hashed = Object.entries(targets!).filter(([, t]) => executors[t.executor!.split(':')[1]]?.hasher).map(([name]) => name);
    expect(hashed.sort()).toEqual(
      ['core-account-apply', 'core-account-link', 'core-components', 'core-deliver', 'core-deploy', 'core-devices-apply', 'network-apply', 'workflow-apply', 'workflow-launch'].sort(),
    );
    expect(JSON.stringify(targets)).not.toMatch(/"(env|runtime)"/);
  });

  it('infers only the steps whose config file exists', async () => {
    rmSync(join(root, 'config/network.yaml'));
    rmSync(join(root, 'config/core.yaml'));
    rmSync(join(root, 'config/workflows.yaml'));
    const { targets } = await infer();
    expect(Object.keys(targets!)).toEqual(['validate', 'provision', 'destroy', 'iam-policy']);
  });

  it('stays light: loads neither cdktf, the AWS provider classes, @nx/devkit nor a YAML parser', () => {
    const loaded = execFileSync(process.execPath, [
      '-e',
      `const { createNodesV2 } = require(${JSON.stringify(join(__dirname, '../src/index.js'))});
       createNodesV2[1](['config/project.yaml'], {}, { workspaceRoot: ${JSON.stringify(root)}, nxJsonConfiguration: {} }).then(() =>
         process.stdout.write(String(Object.keys(require.cache).filter((f) => /node_modules\\/(cdktf|@cdktf|@nx\\/devkit|nx|yaml)\\//.test(f)).length)))`,
    ]);
    // The shipped project.yaml mentions the S3 backend, in a comment: that must not load the parser.
    expect(readFileSync(join(root, 'config/project.yaml'), 'utf8')).toMatch(/#.*backend: s3/);
    expect(loaded.toString().trim()).toBe('0');
  });
});
