// What templates/workflow renders: per case, the cloud-init user-data its worker boots with and
// the script that runs the case (which the user-data carries).
import type { Settings } from '@pushbutton/stacks';
import { expandCases, WorkflowCase } from '../workflows/cases';
import type { RenderItem } from './render-templates';

type Facts = Record<string, Record<string, unknown>>;

export function workflowRenderItems(settings: Settings, facts: Facts, rehearsal: boolean): RenderItem[] {
  const workflows = settings.workflows;
  if (!workflows) throw new Error('The workflow step needs config/workflows.yaml, which does not exist.');
  const bucket = stringFact(facts, 'workflow', 'bucket_name');
  const prefix = stringFact(facts, 'workflow', 'results_prefix');
  const shared = {
    project: { name: settings.project.name, region: settings.project.region },
    rehearsal,
    config: settings,
    facts,
  };
  return expandCases(workflows).map((workflowCase) => ({
    templateDir: 'case',
    outDir: `cases/${workflowCase.id}`,
    context: {
      ...shared,
      case: caseContext(workflowCase),
      workflow: workflows.workflows[workflowCase.workflow],
      results: { bucket, prefix, uri: `s3://${bucket}/${prefix}/${workflowCase.id}/` },
    },
  }));
}

function caseContext(workflowCase: WorkflowCase) {
  const { id, label, workflow, study, overrides, parameters, inputs } = workflowCase;
  return { id, label, workflow, study: study ?? '', overrides, parameters, inputs };
}

/** A fact of a unit; a clear error naming the unit and fact when it is not there. */
function stringFact(facts: Facts, unit: string, name: string): string {
  const values = facts[unit];
  if (!values) throw new Error(`Rendering the workflow step needs the facts of ${unit}, which were not read: apply ${unit} first.`);
  const value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (typeof value === 'string' && value !== '') return value;
  const found = value === undefined ? 'missing' : `${JSON.stringify(value)}, not a non-empty string`;
  throw new Error(`Rendering the workflow step needs fact ${name} of ${unit}, which is ${found}: apply ${unit} again.`);
}
