// Workflow cases: single cases and parameter studies expanded into one case per combination,
// each with an id that follows from what it computes, so an unchanged case keeps its id.
import { createHash } from 'node:crypto';
import type { Settings } from '@pushbutton/stacks';
import type { StudySettings, WorkflowDefinition, WorkflowInput, WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import deepmerge from 'deepmerge';
import stableStringify from 'json-stable-stringify';

export interface WorkflowCase {
  /** `c-` and 12 hex digits of the hash of the workflow's definition, the parameters and the inputs. */
  id: string;
  /** A readable name beside the id. */
  label: string;
  workflow: string;
  study?: string;
  /** The dotted parameter paths this case sets, and their values. */
  overrides: Record<string, unknown>;
  /** Everything written to params.json: the workflow's defaults with the overrides merged in. */
  parameters: Record<string, unknown>;
  inputs: WorkflowInput[];
}

type Assignments = Record<string, unknown>;

const replaceArrays = { arrayMerge: (_target: unknown[], source: unknown[]) => source };

/** `{ 'a.b': 1 }` as `{ a: { b: 1 } }`. */
function nest(assignments: Assignments): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(assignments)) {
    const keys = path.split('.');
    let node = nested;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1]] = value;
  }
  return nested;
}

/** `{ a: { b: 1 } }` as `{ 'a.b': 1 }`; lists are values, not paths. */
export function flatten(value: Record<string, unknown>, prefix = ''): Assignments {
  const flat: Assignments = {};
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child && typeof child === 'object' && !Array.isArray(child)) Object.assign(flat, flatten(child as Record<string, unknown>, path));
    else flat[path] = child;
  }
  return flat;
}

/** What defines a case's computation: not the instance type or timeout it runs with. */
function computation(definition: WorkflowDefinition) {
  const { name, packages, setup, workdir, command, config, outputs } = definition;
  return { name, packages, setup, workdir, command, config, outputs };
}

type CaseId = (definition: WorkflowDefinition, parameters: Record<string, unknown>, inputs: WorkflowInput[]) => string;

/** Case ids for one expansion: each workflow's computation is written out once, not once a case. */
function caseIds(): CaseId {
  const computationTexts = new Map<WorkflowDefinition, string>();
  return (definition, parameters, inputs) => {
    let workflow = computationTexts.get(definition);
    if (workflow === undefined) computationTexts.set(definition, (workflow = stableStringify(computation(definition))!));
    // The text of stableStringify({ workflow: computation(definition), parameters, inputs }): its keys sorted.
    const content = `{"inputs":${stableStringify(inputs)},"parameters":${stableStringify(parameters)},"workflow":${workflow}}`;
    return `c-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
  };
}

/** `qual=10 window=4`: the last segment of each overridden path, and its value. */
export function overridesText(overrides: Assignments): string {
  return Object.entries(overrides)
    .map(([path, value]) => `${path.split('.').pop()}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function makeCase(
  caseId: CaseId,
  definition: WorkflowDefinition,
  overrides: Assignments,
  inputs: WorkflowInput[] | undefined,
  naming: { label?: string; study?: string },
): WorkflowCase {
  const parameters = deepmerge(definition.parameters, nest(overrides), replaceArrays) as Record<string, unknown>;
  const caseInputs = inputs ?? definition.inputs;
  const readable = [naming.study ?? definition.name, overridesText(overrides)].filter(Boolean).join(' ');
  return {
    id: caseId(definition, parameters, caseInputs),
    label: naming.label ?? readable,
    workflow: definition.name,
    ...(naming.study && { study: naming.study }),
    overrides,
    parameters,
    inputs: caseInputs,
  };
}

const sameValue = (a: unknown, b: unknown) => stableStringify(a) === stableStringify(b);

/** Every combination of the matrix, less those an exclude entry matches, plus the includes. */
export function studyCombinations(study: StudySettings): Assignments[] {
  let combinations: Assignments[] = [{}];
  for (const [path, values] of Object.entries(study.matrix)) {
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [path]: value })));
  }
  const excluded = (combination: Assignments) =>
    study.exclude.some((entry) => Object.entries(entry).every(([path, value]) => sameValue(combination[path], value)));
  return [...combinations.filter((combination) => !excluded(combination)), ...study.include];
}

/** Every case of the config with the config key it comes from (`cases.0`, `studies.sweep`), in order. */
export function casesBySource(settings: WorkflowSettings): { source: (string | number)[]; workflowCase: WorkflowCase }[] {
  const caseId = caseIds();
  return [
    ...settings.cases.map((c, index) => ({
      source: ['cases', index],
      workflowCase: makeCase(caseId, settings.workflows[c.workflow], flatten(c.parameters), c.inputs, { label: c.label }),
    })),
    ...Object.values(settings.studies).flatMap((study) =>
      studyCombinations(study).map((combination) => ({
        source: ['studies', study.name],
        workflowCase: makeCase(caseId, settings.workflows[study.workflow], { ...flatten(study.parameters), ...combination }, study.inputs, {
          study: study.name,
        }),
      })),
    ),
  ];
}

/** The workflow step's settings; an error when config has no workflows.yaml. */
export function workflowSettings(settings: Settings): WorkflowSettings {
  if (!settings.workflows) throw new Error('The workflow step needs config/workflows.yaml, which does not exist.');
  return settings.workflows;
}

/** Where a case's outputs, logs and completion marker go. */
export const caseResultsUrl = (bucket: string, prefix: string, caseId: string) => `s3://${bucket}/${prefix}/${caseId}/`;

/** Every case of the config, single cases first, then each study's, in order; a case given twice, once. */
export function expandCases(settings: WorkflowSettings): WorkflowCase[] {
  const seen = new Set<string>();
  return casesBySource(settings)
    .map(({ workflowCase }) => workflowCase)
    .filter((c) => !seen.has(c.id) && seen.add(c.id));
}
