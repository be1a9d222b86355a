import type { StudySettings, WorkflowDefinition, WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { expandCases, studyCombinations } from '../../../src/steps/workflow/cases';
import { CASE_RESOURCES, launchSettings, MONITORING_DEFAULTS } from './fixtures';

const trimming: WorkflowDefinition = {
  name: 'read_filtering',
  description: '',
  instanceType: 'm5.2xlarge',
  ...CASE_RESOURCES,
  timeoutMinutes: 240,
  packages: ['git'],
  setup: ['pip install taco'],
  workdir: '/opt/dahak/workflows',
  command: 'taco read_filtering --config-json config.json --params-json params.json',
  config: { workflow_targets: ['read_filtering_posttrim_workflow'] },
  parameters: { read_filtering: { quality_trimming: { qual: 2, window: 4 }, adapters: ['TruSeq2-PE.fa'] } },
  inputs: [{ url: 'https://example.org/reads_1.fq.gz', path: 'data/reads_1.fq.gz' }],
  outputs: ['data'],
};

function study(overrides: Partial<StudySettings> = {}): StudySettings {
  return {
    name: 'sweep',
    workflow: 'read_filtering',
    parameters: {},
    matrix: { 'read_filtering.quality_trimming.qual': [2, 10, 20, 30], 'read_filtering.quality_trimming.window': [4, 8] },
    include: [],
    exclude: [],
    ...overrides,
  };
}

function settings(studies: StudySettings[] = [study()], cases: WorkflowSettings['cases'] = []): WorkflowSettings {
  return {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ maxConcurrent: 10, imageId: 'ami-0123456789abcdef0', rootVolumeGiB: 100 }),
    monitoring: MONITORING_DEFAULTS,
    workflows: { read_filtering: trimming },
    cases,
    studies: Object.fromEntries(studies.map((s) => [s.name, s])),
  };
}

const qualities = (cases: { overrides: Record<string, unknown> }[]) =>
  cases.map((c) => `${c.overrides['read_filtering.quality_trimming.qual']}/${c.overrides['read_filtering.quality_trimming.window']}`);

describe('study expansion', () => {
  it('makes one case per combination of the matrix values', () => {
    expect(studyCombinations(study())).toHaveLength(8);
    const big = study({ matrix: { a: [1, 2, 3, 4], b: [1, 2, 3, 4, 5], c: [1, 2, 3, 4, 5] } });
    expect(studyCombinations(big)).toHaveLength(100);
    expect(qualities(expandCases(settings()))).toEqual(['2/4', '2/8', '10/4', '10/8', '20/4', '20/8', '30/4', '30/8']);
  });

  it('leaves out the combinations an exclude entry matches, and adds the includes', () => {
    const excluded = study({
      exclude: [{ 'read_filtering.quality_trimming.qual': 30 }, { 'read_filtering.quality_trimming.qual': 2, 'read_filtering.quality_trimming.window': 8 }],
      include: [{ 'read_filtering.quality_trimming.qual': 40, 'read_filtering.quality_trimming.window': 12 }],
    });
    expect(qualities(expandCases(settings([excluded])))).toEqual(['2/4', '10/4', '10/8', '20/4', '20/8', '40/12']);
  });

  it('merges each case into the workflow defaults: siblings kept, lists replaced', () => {
    const [first] = expandCases(settings([study({ parameters: { read_filtering: { adapters: ['NexteraPE-PE.fa'] } } })]));
    expect(first.parameters).toEqual({ read_filtering: { quality_trimming: { qual: 2, window: 4 }, adapters: ['NexteraPE-PE.fa'] } });
    expect(trimming.parameters).toEqual({ read_filtering: { quality_trimming: { qual: 2, window: 4 }, adapters: ['TruSeq2-PE.fa'] } });
  });

  it('labels each case readably beside its id', () => {
    const walkthrough = { workflow: 'read_filtering', label: 'walkthrough', parameters: { read_filtering: { quality_trimming: { qual: 50 } } } };
    const cases = expandCases(settings([study()], [walkthrough, { workflow: 'read_filtering', parameters: { read_filtering: { adapters: [] } } }]));
    expect(cases.map((c) => c.label).slice(0, 4)).toEqual(['walkthrough', 'read_filtering adapters=[]', 'sweep qual=2 window=4', 'sweep qual=2 window=8']);
    expect(cases[2]).toMatchObject({ workflow: 'read_filtering', study: 'sweep' });
    expect(cases[0].study).toBeUndefined();
  });
});

describe('case ids', () => {
  const ids = (s: WorkflowSettings) => expandCases(s).map((c) => c.id);

  it('are the same for the same content, whatever the order it was written in', () => {
    const reordered = study({ matrix: { 'read_filtering.quality_trimming.window': [4, 8], 'read_filtering.quality_trimming.qual': [2, 10, 20, 30] } });
    expect(new Set(ids(settings([reordered])))).toEqual(new Set(ids(settings())));
    expect(ids(settings())).toEqual(ids(settings()));
    expect(ids(settings())[0]).toMatch(/^c-[0-9a-f]{12}$/);
  });

  it('change with any parameter, input or the workflow command, and only for the cases it touches', () => {
    const before = ids(settings());
    const widened = ids(settings([study({ matrix: { ...study().matrix, 'read_filtering.quality_trimming.qual': [2, 10, 20, 31] } })]));
    expect(widened.filter((id) => !before.includes(id))).toHaveLength(2);
    const withOtherInputs = { ...settings([study({ inputs: [{ url: 'https://example.org/other.fq.gz', path: 'data/other.fq.gz' }] })]) };
    expect(ids(withOtherInputs).some((id) => before.includes(id))).toBe(false);
    const otherCommand = settings();
    otherCommand.workflows.read_filtering = { ...trimming, command: 'taco read_filtering --params-json params.json' };
    expect(ids(otherCommand).some((id) => before.includes(id))).toBe(false);
  });

  it('stay what earlier versions made, so a ledger and the results in S3 keep their cases', () => {
    // The sha256 of the case's workflow computation, parameters and inputs, written with sorted keys.
    expect(expandCases(settings())[0]).toMatchObject({ label: 'sweep qual=2 window=4', id: 'c-48dad8aad6b7' });
  });

  it('do not change with the instance type or timeout the case runs with', () => {
    const bigger = settings();
    bigger.workflows.read_filtering = { ...trimming, instanceType: 'r5.4xlarge', timeoutMinutes: 600 };
    expect(ids(bigger)).toEqual(ids(settings()));
  });

  it('a case given twice, by a single case and a study, runs once', () => {
    const twice = settings([study()], [{ workflow: 'read_filtering', parameters: { read_filtering: { quality_trimming: { qual: 10, window: 8 } } } }]);
    expect(expandCases(twice)).toHaveLength(8);
  });
});
