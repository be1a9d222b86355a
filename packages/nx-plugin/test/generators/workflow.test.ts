import { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { ConfigError } from '../../src/config/config-error';
import { workflowGenerator } from '../../src/generators/workflow/generator';
import type { WorkflowGeneratorSchema } from '../../src/generators/workflow/schema';
import { captureLog, changes, initializedWorkspace, thrownBy, treeConfig } from './workspace';

const FILE = 'config/workflows.yaml';
const ALIGN: WorkflowGeneratorSchema = {
  name: 'align',
  description: 'Align reads: BWA',
  command: 'bwa mem ref.fa reads.fq > aligned.sam',
  workdir: '/opt/align',
};
/** The entry for ALIGN, as a person would have written it. */
const ALIGN_YAML = [
  '',
  '  align:',
  "    description: 'Align reads: BWA'",
  '    instanceType: m5.xlarge',
  '    timeoutMinutes: 240',
  '    workdir: /opt/align',
  '    command: bwa mem ref.fa reads.fq > aligned.sam',
  '',
].join('\n');

const log = captureLog();

describe('workflow', () => {
  it('adds a valid workflow with the default instance type and timeout', () => {
    const tree = initializedWorkspace();
    workflowGenerator(tree, ALIGN);
    expect(treeConfig(tree).workflows!.workflows.align).toMatchObject({
      description: 'Align reads: BWA',
      instanceType: 'm5.xlarge',
      timeoutMinutes: 240,
      workdir: '/opt/align',
      command: 'bwa mem ref.fa reads.fq > aligned.sam',
    });
    expect(log.info()).toContain('Added workflow align to config/workflows.yaml');
  });

  it('writes only the new entry, after the last workflow: comments and formatting elsewhere stay as they were', () => {
    const tree = initializedWorkspace();
    const before = tree.read(FILE, 'utf-8')!;
    workflowGenerator(tree, ALIGN);
    const after = tree.read(FILE, 'utf-8')!;
    expect(after.replace(ALIGN_YAML, '')).toBe(before);
    expect(after).toContain(`    outputs: [data]\n${ALIGN_YAML}\n# Single cases`);
    expect(after).toContain('  maxConcurrent: 10          # more cases wait for the next provision\n');
  });

  it('takes the instance type, timeout and no description when given so', () => {
    const tree = initializedWorkspace();
    workflowGenerator(tree, { name: 'call', command: 'freebayes', workdir: '/opt/call', instanceType: 'c6i.4xlarge', timeoutMinutes: 30 });
    const { call } = treeConfig(tree).workflows!.workflows;
    expect(call).toMatchObject({ description: '', instanceType: 'c6i.4xlarge', timeoutMinutes: 30 });
    expect(tree.read(FILE, 'utf-8')).not.toContain('description: \n');
  });

  it('creates config/workflows.yaml with just that workflow if there is none', () => {
    const tree = initializedWorkspace({ steps: ['network'] });
    workflowGenerator(tree, ALIGN);
    const text = tree.read(FILE, 'utf-8')!;
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\.\/node_modules\/@pushbutton\/nx-plugin\/src\/steps\/workflow\/schema\.json\n/);
    expect(text.endsWith(`\n\nworkflows:${ALIGN_YAML}`)).toBe(true);
    expect(Object.keys(treeConfig(tree).workflows!.workflows)).toEqual(['align']);
    expect(log.warn()).toBe('');
  });

  it('warns, creating workflows.yaml, that the workflow step needs the network step', () => {
    const tree = initializedWorkspace({ steps: ['core'] });
    workflowGenerator(tree, ALIGN);
    expect(log.warn()).toContain('add config/network.yaml before provisioning');
  });

  it('refuses a name that exists, and changes nothing', () => {
    const tree = initializedWorkspace();
    const before = changes(tree);
    expect(() => workflowGenerator(tree, { ...ALIGN, name: 'assembly' })).toThrow(
      'config/workflows.yaml already has a workflow named "assembly": choose another name.',
    );
    expect(changes(tree)).toEqual(before);
  });

  it('rejects an invalid instance type with the file, line and key of validation, and changes nothing', () => {
    const valid = initializedWorkspace();
    workflowGenerator(valid, { ...ALIGN, instanceType: 'm5.large' });
    const line = valid.read(FILE, 'utf-8')!.split('\n').indexOf('    instanceType: m5.large') + 1;

    const tree = initializedWorkspace();
    const before = changes(tree);
    const error = thrownBy(() => workflowGenerator(tree, { ...ALIGN, instanceType: 'M5 Large' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      `config/workflows.yaml:${line}:19 workflows.align.instanceType: expected an EC2 instance type such as m5.2xlarge; found "M5 Large"`,
    );
    expect(changes(tree)).toEqual(before);
  });

  it('rejects a name the schema does not allow, at its key', () => {
    const tree = initializedWorkspace();
    expect(() => workflowGenerator(tree, { ...ALIGN, name: 'Align' })).toThrow(
      /config\/workflows\.yaml:\d+:3 workflows\.Align: expected a name of lowercase letters, digits, _ and -, starting with a letter; found "Align"/,
    );
  });

  it('needs Pushbutton set up first', () => {
    expect(() => workflowGenerator(createTreeWithEmptyWorkspace(), ALIGN)).toThrow(
      'Pushbutton is not set up in this workspace (no config/project.yaml): run `npx nx g @pushbutton/nx-plugin:init` first.',
    );
  });

  it('refuses to edit a workflows.yaml that is already invalid, saying where', () => {
    const tree: Tree = initializedWorkspace();
    tree.write(FILE, tree.read(FILE, 'utf-8')!.replace('maxConcurrent: 10', 'maxConcurrent: 0'));
    expect(() => workflowGenerator(tree, ALIGN)).toThrow(/config\/workflows\.yaml:19:18 launch\.maxConcurrent: expected a number >= 1; found 0/);
  });
});
