// docs/adding-a-step.md, done: a step with one stack and one effect, added as its folder, its stack,
// its starter config and one line of the registry, in a temporary clone; its targets are inferred,
// synthesized and rehearsed like the shipped steps'.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from './temp-workspace';

// Terraform and Nx run for real here: minutes, not seconds.
jest.setTimeout(300_000);

const FIXTURE = join(__dirname, '../fixtures/archive-step');
const REGISTRY = 'packages/nx-plugin/src/steps/registry.js';

let ws: TempWorkspace;
beforeAll(() => {
  ws = TempWorkspace.create();
  const copy = (from: string, to: string) => {
    for (const file of readdirSync(join(FIXTURE, from))) cpSync(join(FIXTURE, from, file), ws.path(join(to, file)));
  };
  copy('plugin', 'packages/nx-plugin/src/steps/archive');
  copy('stacks', 'packages/stacks/src/archive');
  copy('config', 'config');
  ws.edit(REGISTRY, (text) => text.replace("const STEP_NAMES = ['network', 'core', 'workflow'];", "const STEP_NAMES = ['network', 'core', 'workflow', 'archive'];"));
  ws.commit('the archive step');
});
afterAll(() => ws?.dispose());

const executed = (tasks: Record<string, string>) => Object.keys(tasks).filter((task) => tasks[task] === 'cache-miss').sort();

describe('a step added from one folder, its stack, its starter config and one registry line', () => {
  it('typechecks, and the registry finds all its code', () => {
    for (const args of [['tsc', '-p', 'packages/stacks'], ['tsc', '-p', 'packages/nx-plugin']]) {
      const result = ws.run(process.execPath, [ws.path('node_modules/typescript/bin/tsc'), ...args.slice(1)]);
      expect(result.code, result.output).toBe(0);
    }
    const check = ws.run(process.execPath, ['-r', '@swc-node/register', '-e', "console.log(JSON.stringify(require('./packages/nx-plugin/src/steps/registry-check').registryProblems()))"]);
    expect(check.code, check.output).toBe(0);
    expect(check.output.trim().split('\n').at(-1)).toBe('[]');
  });

  it('gets its targets inferred, grouped under the step', () => {
    const result = ws.nx(['show', 'project', 'infra', '--json']);
    expect(result.code, result.output).toBe(0);
    const project = JSON.parse(result.output.slice(result.output.indexOf('{')));
    expect(project.metadata.targetGroups.archive).toEqual([
      'archive-bucket-synth',
      'archive-bucket-apply',
      'archive-bucket-destroy',
      'archive-check',
      'archive-check-destroy',
      'archive',
    ]);
    expect(project.targets['archive-check'].inputs).toContainEqual({ externalDependencies: expect.arrayContaining(['@aws-sdk/client-s3']) });
    expect(project.targets.provision.dependsOn).toEqual(['network', 'core', 'workflow', 'archive']);
  });

  it('is synthesized and rehearsed by its step target, and a second run is all cache hits', () => {
    const first = ws.nx(['run', 'infra:archive:rehearse']);
    expect(first.code, first.output).toBe(0);
    expect(executed(ws.lastRun())).toEqual(
      ['infra:validate', 'infra:archive-bucket-synth', 'infra:archive-bucket-apply:rehearse', 'infra:archive-check:rehearse', 'infra:archive:rehearse'].sort(),
    );
    expect(first.output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(first.output).toMatch(/Would check that bucket \S+ answers HeadBucket\./);
    expect(first.output).toContain('Rehearsed the archive step');

    const second = ws.nx(['run', 'infra:archive:rehearse']);
    expect(second.code, second.output).toBe(0);
    expect(executed(ws.lastRun())).toEqual([]);
    expect(ws.gitStatus()).toBe('');
  });
});
