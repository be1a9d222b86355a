// The workflow step's config: config/workflows.yaml, validated against schema.json, resolved, and
// checked for what a JSON Schema cannot express (cases of workflows that exist, given once; names
// the project's name makes, within AWS's limits).
import type { ProjectSettings } from '@pushbutton/stacks';
import { resultsBucketPrefix, StudySettings, WorkflowDefinition, WorkflowInput, WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { likelyMeant } from '../../config/schema-validation';
import type { ConfigIssue } from '../../config/config-error';
import type { ConfigFile } from '../../config/config-file';
import type { StepConfig } from '../../config/step-config';
import { casesBySource, flatten } from './cases';

/**
 * The AWS provider refuses an aws_s3_bucket bucket_prefix over 37 characters: bucket names are at most
 * 63, and it appends a 26-character unique suffix
 * (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/s3_bucket#bucket_prefix).
 */
export const BUCKET_PREFIX_MAX = 37;

/** Names derived from the project's must fit AWS's limits: the results bucket's prefix. */
function projectNameIssues(file: ConfigFile, project: ProjectSettings): ConfigIssue[] {
  const prefix = resultsBucketPrefix(project.name);
  if (prefix.length <= BUCKET_PREFIX_MAX) return [];
  const most = BUCKET_PREFIX_MAX - resultsBucketPrefix('').length;
  const why = `the results bucket's name prefix "${resultsBucketPrefix('<name>')}" may be at most ${BUCKET_PREFIX_MAX} characters (S3's 63, less the 26 Terraform appends)`;
  return [file.issue(['name'], `a name of at most ${most} characters with the workflow step: ${why}`, `${JSON.stringify(project.name)} (${project.name.length} characters)`)];
}

/** Cross-field rules of workflows.yaml: cases and studies name workflows that exist, and no case is given twice. */
function workflowIssues(file: ConfigFile, workflows: WorkflowSettings): ConfigIssue[] {
  const known = Object.keys(workflows.workflows);
  const unknown = (path: (string | number)[], name: string) =>
    file.issue(path, `one of the workflows: ${known.join(', ')}`, JSON.stringify(name));
  const issues: ConfigIssue[] = [];
  workflows.cases.forEach((c, index) => {
    if (!known.includes(c.workflow)) issues.push(unknown(['cases', index, 'workflow'], c.workflow));
  });
  for (const study of Object.values(workflows.studies)) {
    if (!known.includes(study.workflow)) issues.push(unknown(['studies', study.name, 'workflow'], study.workflow));
    else issues.push(...unreadPaths(file, study, workflows.workflows[study.workflow]));
    study.exclude.forEach((entry, index) => {
      for (const path of Object.keys(entry).filter((p) => !(p in study.matrix))) {
        issues.push(file.issue(['studies', study.name, 'exclude', index, path], `a path of the matrix: ${Object.keys(study.matrix).join(', ')}`, JSON.stringify(path), 'key'));
      }
    });
  }
  issues.push(...batchIssues(file, workflows));
  return issues.length ? issues : duplicateCaseIssues(file, workflows);
}

/** With engine batch, a job that needs more vCPUs than the compute environment may run would wait forever. */
function batchIssues(file: ConfigFile, workflows: WorkflowSettings): ConfigIssue[] {
  const { engine, batch } = workflows.launch;
  if (engine !== 'batch') return [];
  return Object.values(workflows.workflows)
    .filter((w) => w.vcpus > batch.maxVcpus)
    .map((w) => file.issue(['workflows', w.name, 'vcpus'], `at most launch.batch.maxVcpus (${batch.maxVcpus}), which a job of it needs at once`, String(w.vcpus)));
}

/**
 * A study of a workflow that declares its parameters may only vary one of them (a path of its
 * defaults, or a folder of them): any other path would make cases that differ only in a value
 * nothing reads.
 */
function unreadPaths(file: ConfigFile, study: StudySettings, workflow: WorkflowDefinition): ConfigIssue[] {
  const parameters = Object.keys(flatten(workflow.parameters));
  // A workflow that declares no parameters reads whatever its command reads: nothing to hold a study to.
  if (!parameters.length) return [];
  const reads = (path: string) => parameters.some((known) => known === path || known.startsWith(`${path}.`));
  const issue = (where: (string | number)[], path: string) => {
    const guess = likelyMeant(path, parameters);
    const expected = `a parameter its workflow ${workflow.name} gives a default${guess ? ` (did you mean "${guess}"?)` : ''}`;
    return file.issue(where, expected, `${JSON.stringify(path)}, which no parameter of it has`, 'key');
  };
  return [
    ...Object.keys(study.matrix).filter((path) => !reads(path)).map((path) => issue(['studies', study.name, 'matrix', path], path)),
    ...study.include.flatMap((entry, index) => Object.keys(entry).filter((path) => !reads(path)).map((path) => issue(['studies', study.name, 'include', index, path], path))),
  ];
}

function duplicateCaseIssues(file: ConfigFile, workflows: WorkflowSettings): ConfigIssue[] {
  const first = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const { source, workflowCase } of casesBySource(workflows)) {
    const earlier = first.get(workflowCase.id);
    const where = source.join('.');
    if (earlier === undefined) first.set(workflowCase.id, where);
    else if (earlier !== where) {
      issues.push(file.issue(source, `a case not already given by ${earlier}`, `the same workflow, parameters and inputs (case ${workflowCase.id})`));
    }
  }
  return issues;
}

type RawInput = string | WorkflowInput;

/** A bare URL is saved under data/ with its file name. */
function resolveInputs(inputs: RawInput[] | undefined): WorkflowInput[] | undefined {
  return inputs?.map((input) =>
    typeof input === 'string' ? { url: input, path: `data/${new URL(input).pathname.split('/').pop() || 'input'}` } : input,
  );
}

export const config: StepConfig<any, WorkflowSettings> = {
  resolve({ file, data, project, projectFile }) {
    const settings: WorkflowSettings = {
      results: data.results,
      launch: data.launch,
      monitoring: data.monitoring,
      workflows: Object.fromEntries(
        Object.entries<any>(data.workflows).map(([name, w]) => [name, { ...w, name, parameters: w.parameters ?? {}, inputs: resolveInputs(w.inputs) ?? [] }]),
      ),
      cases: data.cases.map((c: any) => ({ ...c, parameters: c.parameters ?? {}, inputs: resolveInputs(c.inputs) })),
      studies: Object.fromEntries(
        Object.entries<any>(data.studies).map(([name, s]) => [
          name,
          { include: [], exclude: [], ...s, name, parameters: s.parameters ?? {}, inputs: resolveInputs(s.inputs) },
        ]),
      ),
    };
    const nameIssues = project && projectFile ? projectNameIssues(projectFile, project) : [];
    return { settings, issues: [...nameIssues, ...workflowIssues(file, settings)] };
  },
};
