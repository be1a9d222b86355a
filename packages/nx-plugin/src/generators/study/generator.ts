import { logger, Tree } from '@nx/devkit';
import { Document, parse, YAMLMap, YAMLSeq } from 'yaml';
import { studyCombinations } from '../../steps/workflow/cases';
import { infraProjectName, requirePushbutton, validateConfig, WORKFLOWS_FILE } from '../workspace-config';
import { addMapEntry } from '../yaml-text';
import type { StudyGeneratorSchema } from './schema';

type Matrix = Record<string, unknown[]>;
type Assignments = Record<string, unknown>;

const MATRIX_FORM = 'dotted.parameter.path=v1,v2,v3';
const EXCLUDE_FORM = 'path=value&path=value';

/** Adds a parameter study to config/workflows.yaml and says how many cases it adds. */
export function studyGenerator(tree: Tree, options: StudyGeneratorSchema): void {
  requirePushbutton(tree);
  const text = tree.read(WORKFLOWS_FILE, 'utf-8');
  if (text === null) {
    throw new Error(`There is no ${WORKFLOWS_FILE} yet: add a workflow first, with \`npx nx g @pushbutton/nx-plugin:workflow\`.`);
  }
  if (validateConfig(tree).workflows!.studies[options.name]) {
    throw new Error(`${WORKFLOWS_FILE} already has a study named "${options.name}": choose another name.`);
  }
  const matrix = parseMatrix(options.matrix);
  const exclude = parseExclude(options.exclude ?? []);
  const updated = addMapEntry(text, 'studies', studyEntry(options, matrix, exclude));
  // Also rejects an unknown workflow or an exclude path the matrix lacks, with file, line and key.
  const study = validateConfig(tree, { [WORKFLOWS_FILE]: updated }).workflows!.studies[options.name];
  tree.write(WORKFLOWS_FILE, updated);

  const cases = studyCombinations(study).length;
  logger.info(
    `Added study ${options.name} of workflow ${options.workflow} to ${WORKFLOWS_FILE}: ` +
      `${cases} case${cases === 1 ? '' : 's'} (${howCasesAdd(matrix, cases)}).\n` +
      `See which would start: npx nx run ${infraProjectName(tree)}:provision:rehearse`,
  );
}

export default studyGenerator;

/** `3 × 2 = 6 combinations, 1 excluded`, or `3 values` for a one-path matrix. */
function howCasesAdd(matrix: Matrix, cases: number): string {
  const sizes = Object.values(matrix).map((values) => values.length);
  const combinations = sizes.reduce((product, size) => product * size, 1);
  const made = sizes.length > 1 ? `${sizes.join(' × ')} = ${combinations} combinations` : `${combinations} values`;
  return combinations > cases ? `${made}, ${combinations - cases} excluded` : made;
}

function studyEntry({ name, workflow }: StudyGeneratorSchema, matrix: Matrix, exclude: Assignments[]): Document {
  const entry = new Document({ [name]: { workflow, matrix, ...(exclude.length ? { exclude } : {}) } });
  // Each path's values on one line, as the starter file writes them.
  for (const pair of (entry.getIn([name, 'matrix'], true) as YAMLMap<unknown, YAMLSeq>).items) pair.value!.flow = true;
  return entry;
}

function parseMatrix(items: string[]): Matrix {
  const matrix: Matrix = {};
  for (const item of rejoined(items)) {
    const [path, values] = splitAssignment(item, MATRIX_FORM);
    if (path in matrix) throw new Error(`--matrix gives ${path} twice: give all its values at once (${path}=v1,v2).`);
    matrix[path] = yamlValue(`[${values}]`, MATRIX_FORM) as unknown[];
  }
  return matrix;
}

function parseExclude(items: string[]): Assignments[] {
  return rejoined(items).map((item) =>
    Object.fromEntries(
      item.split('&').map((part) => {
        const [path, value] = splitAssignment(part, EXCLUDE_FORM);
        return [path, yamlValue(value, EXCLUDE_FORM)];
      }),
    ),
  );
}

/**
 * Nx splits an array option given once at its commas (`--matrix a=1,2` arrives as `['a=1', '2']`),
 * so a piece that does not start with `path=` continues the piece before it.
 */
function rejoined(items: string[]): string[] {
  const whole: string[] = [];
  for (const item of items) {
    if (whole.length && !/^[^=,&\s]+=/.test(item)) whole[whole.length - 1] += `,${item}`;
    else whole.push(item);
  }
  return whole;
}

function splitAssignment(text: string, form: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new Error(`Expected ${form}; found "${text}".`);
  return [text.slice(0, at).trim(), text.slice(at + 1)];
}

/** A value as YAML reads it: `2` is a number, `abc` and `'2'` are strings. */
function yamlValue(text: string, form: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new Error(`Expected ${form} with YAML values; found "${text}": ${(error as Error).message.split('\n')[0]}`);
  }
}
