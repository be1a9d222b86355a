import { ConfigError } from '../../src/config/config-error';
import { studyGenerator } from '../../src/generators/study/generator';
import type { StudyGeneratorSchema } from '../../src/generators/study/schema';
import { workflowGenerator } from '../../src/generators/workflow/generator';
import { expandCases } from '../../src/steps/workflow/cases';
import { captureLog, changes, initializedWorkspace, thrownBy, treeConfig } from './workspace';

const FILE = 'config/workflows.yaml';
const QUAL = 'taxonomic_classification.kaiju_report.pct_threshold';
const MODE = 'taxonomic_classification.kaiju_report.taxonomic_rank';
const SWEEP: StudyGeneratorSchema = {
  name: 'qual-mode',
  workflow: 'taxonomic_classification',
  matrix: [`${QUAL}=2,15,30`, `${MODE}=order,class`],
  exclude: [`${QUAL}=2&${MODE}=class`],
};
const SWEEP_YAML = [
  '  qual-mode:',
  '    workflow: taxonomic_classification',
  '    matrix:',
  `      ${QUAL}: [2, 15, 30]`,
  `      ${MODE}: [order, class]`,
  '    exclude:',
  `      - ${QUAL}: 2`,
  `        ${MODE}: class`,
  '',
].join('\n');

const log = captureLog();

describe('study', () => {
  it('adds a study, and prints how many cases it adds: 3 × 2 = 6 less 1 excluded', () => {
    const tree = initializedWorkspace();
    const casesBefore = expandCases(treeConfig(tree).workflows!).length;
    studyGenerator(tree, SWEEP);
    const workflows = treeConfig(tree).workflows!;
    expect(expandCases(workflows).filter((c) => c.study === 'qual-mode')).toHaveLength(5);
    expect(expandCases(workflows).length - casesBefore).toBe(5);
    expect(log.info()).toContain(
      'Added study qual-mode of workflow taxonomic_classification to config/workflows.yaml: 5 cases (3 × 2 = 6 combinations, 1 excluded).',
    );
    expect(log.info()).toContain('npx nx run infra:provision:rehearse');
  });

  it('types values as YAML does: numbers stay numbers, words and quoted numbers are strings', () => {
    const tree = initializedWorkspace();
    studyGenerator(tree, { name: 'typed', workflow: 'taxonomic_classification', matrix: [`${QUAL}=2,30`, `${MODE}=abc,'4'`] });
    const { matrix } = treeConfig(tree).workflows!.studies.typed;
    expect(matrix).toEqual({ [QUAL]: [2, 30], [MODE]: ['abc', '4'] });
    expect(tree.read(FILE, 'utf-8')).toContain(`      ${MODE}: [abc, '4']\n`);
  });

  it('writes only the new study, after the last one: comments and formatting elsewhere stay as they were', () => {
    const tree = initializedWorkspace();
    const before = tree.read(FILE, 'utf-8')!;
    studyGenerator(tree, SWEEP);
    const after = tree.read(FILE, 'utf-8')!;
    expect(after).toBe(before + SWEEP_YAML);
    expect(after).toContain('# Parameter studies: one case per combination of the matrix values, less the excluded ones.\n');
  });

  it('takes a --matrix that Nx split at its commas', () => {
    const tree = initializedWorkspace();
    studyGenerator(tree, { ...SWEEP, matrix: [`${QUAL}=2`, '15', '30', `${MODE}=order`, 'class'] });
    expect(tree.read(FILE, 'utf-8')!.endsWith(SWEEP_YAML)).toBe(true);
  });

  it('counts a one-path study without exclusions', () => {
    const tree = initializedWorkspace();
    studyGenerator(tree, { name: 'quals', workflow: 'taxonomic_classification', matrix: [`${QUAL}=3,4,7`] });
    expect(log.info()).toContain('3 cases (3 values).');
  });

  it('refuses an unknown workflow with the file, line and key, and changes nothing', () => {
    const tree = initializedWorkspace();
    const before = changes(tree);
    const error = thrownBy(() => studyGenerator(tree, { ...SWEEP, workflow: 'read-filtering' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /config\/workflows\.yaml:\d+:15 studies\.qual-mode\.workflow: expected one of the workflows: read_filtering, taxonomic_classification, .*; found "read-filtering"/,
    );
    expect(changes(tree)).toEqual(before);
  });

  it('refuses an exclude path that is not in the matrix', () => {
    const tree = initializedWorkspace();
    expect(() => studyGenerator(tree, { ...SWEEP, exclude: [`${QUAL}=2&read_filtering.window=8`] })).toThrow(
      /studies\.qual-mode\.exclude\.0\.read_filtering\.window: expected a path of the matrix/,
    );
  });

  it('refuses a study name that exists', () => {
    const tree = initializedWorkspace();
    expect(() => studyGenerator(tree, { ...SWEEP, name: 'trimming-sweep' })).toThrow(
      'config/workflows.yaml already has a study named "trimming-sweep": choose another name.',
    );
  });

  it('says what form it expects of a --matrix without values', () => {
    const tree = initializedWorkspace();
    expect(() => studyGenerator(tree, { ...SWEEP, matrix: [`${QUAL}=`] })).toThrow(
      `Expected dotted.parameter.path=v1,v2,v3; found "${QUAL}=".`,
    );
  });

  it('adds a studies mapping to a workflows.yaml that has none', () => {
    const tree = initializedWorkspace({ steps: ['network'] });
    workflowGenerator(tree, { name: 'align', command: 'bwa mem', workdir: '/opt/align' });
    studyGenerator(tree, { name: 'k', workflow: 'align', matrix: ['align.k=19,31'] });
    expect(tree.read(FILE, 'utf-8')).toContain('    command: bwa mem\n\nstudies:\n  k:\n    workflow: align\n    matrix:\n      align.k: [19, 31]\n');
    expect(Object.keys(treeConfig(tree).workflows!.studies)).toEqual(['k']);
  });

  it('turns an empty flow mapping `studies: {}` into a block, its comment staying on the line', () => {
    const tree = initializedWorkspace();
    const starter = tree.read(FILE, 'utf-8')!;
    const withoutStudies = starter.slice(0, starter.indexOf('\nstudies:') + 1) + 'studies: {}  # none yet\n';
    tree.write(FILE, withoutStudies);
    studyGenerator(tree, { name: 'k', workflow: 'taxonomic_classification', matrix: [`${QUAL}=2,30`] });
    expect(tree.read(FILE, 'utf-8')).toBe(
      withoutStudies.replace('studies: {}  # none yet\n', `studies:  # none yet\n  k:\n    workflow: taxonomic_classification\n    matrix:\n      ${QUAL}: [2, 30]\n`),
    );
  });
});
