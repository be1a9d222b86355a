import { logger, Tree } from '@nx/devkit';
import { Document } from 'yaml';
import { pluginPackage, schemaComment, schemaFromConfigDir } from '../plugin-package';
import { configFileOf, requirePushbutton, stepsReadBy, validateConfig, WORKFLOW_STEP, WORKFLOWS_FILE } from '../workspace-config';
import { addMapEntry } from '../yaml-text';
import type { WorkflowGeneratorSchema } from './schema';

const DEFAULT_INSTANCE_TYPE = 'm5.xlarge';
const DEFAULT_TIMEOUT_MINUTES = 240;

/** Adds a workflow to config/workflows.yaml, creating the file if there is none. */
export function workflowGenerator(tree: Tree, options: WorkflowGeneratorSchema): void {
  requirePushbutton(tree);
  const existing = validateConfig(tree).workflows;
  if (existing?.workflows[options.name]) {
    throw new Error(`${WORKFLOWS_FILE} already has a workflow named "${options.name}": choose another name.`);
  }
  const text = addMapEntry(tree.read(WORKFLOWS_FILE, 'utf-8') ?? newWorkflowsFile(tree), 'workflows', workflowEntry(options));
  // Throws, with file, line and key, on a value the schema rejects; nothing is written then.
  validateConfig(tree, { [WORKFLOWS_FILE]: text });
  tree.write(WORKFLOWS_FILE, text);

  logger.info(
    `Added workflow ${options.name} to ${WORKFLOWS_FILE}. Run it as a parameter study with:\n` +
      `  npx nx g @pushbutton/nx-plugin:study <study> --workflow ${options.name} --matrix <parameter.path>=<v1>,<v2>`,
  );
  if (existing) return;
  for (const step of stepsReadBy(WORKFLOW_STEP).filter((needed) => !tree.exists(configFileOf(needed)))) {
    logger.warn(`The workflow step reads the facts of the ${step.name} step: add ${configFileOf(step)} before provisioning.`);
  }
}

export default workflowGenerator;

function workflowEntry(options: WorkflowGeneratorSchema): Document {
  const { name, description, command, workdir } = options;
  return new Document({
    [name]: {
      ...(description !== undefined && { description }),
      instanceType: options.instanceType ?? DEFAULT_INSTANCE_TYPE,
      timeoutMinutes: options.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
      workdir,
      command,
    },
  });
}

function newWorkflowsFile(tree: Tree): string {
  return [
    schemaComment(schemaFromConfigDir(tree.root, pluginPackage(), WORKFLOW_STEP)),
    '# The workflow launch step: command-line workflows, and the cases and parameter studies to run',
    '# with them. Add workflows with `npx nx g @pushbutton/nx-plugin:workflow`, studies with',
    '# `npx nx g @pushbutton/nx-plugin:study`.',
    '',
  ].join('\n');
}
