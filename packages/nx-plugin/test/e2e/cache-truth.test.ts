// A cache hit of an apply, effect or delivery only where the world is what that run left:
// config that returns to an earlier value, and records that are lost, in a temporary git clone.
import { rmSync } from 'node:fs';
import { TempWorkspace } from './temp-workspace';

// Terraform and Nx run for real here: minutes, not seconds.
jest.setTimeout(600_000);

const EFFECTFUL = [
  'network-apply',
  'core-account-apply',
  'core-account-link',
  'core-components',
  'core-devices-apply',
  'core-deploy',
  'core-deliver',
  'workflow-apply',
  'workflow-launch',
].map((target) => `infra:${target}:rehearse`);

const INGRESS = `ingress:
  lab-https:
    description: Dashboards from the lab network
    protocol: tcp
    port: 443
    cidr: 203.0.113.0/24
`;
const ONE_MORE_CASE = 'cases:\n  - workflow: read_filtering\n    label: one more\n    parameters: { workflows: { read_filtering_posttrim_workflow: { qual: ["40"] } } }\n';

let ws: TempWorkspace;
beforeAll(() => {
  ws = TempWorkspace.create();
});
afterAll(() => ws?.dispose());

function run(target: string) {
  const result = ws.nx(['run', target]);
  expect(result.code, result.output).toBe(0);
  const tasks = ws.lastRun();
  return { output: result.output, executed: Object.keys(tasks).filter((task) => tasks[task] === 'cache-miss') };
}

/** Edits a config file, and gives back a function that puts the file back as it was. */
function change(file: string, edit: (text: string) => string): () => void {
  const before = ws.read(file);
  ws.edit(file, edit);
  return () => ws.edit(file, () => before);
}

describe('a config that returns to an earlier value is applied again', () => {
  beforeAll(() => run('infra:provision:rehearse'));

  it('for a stack: an ingress rule added, then removed', () => {
    const undo = change('config/network.yaml', (text) => text.replace('ingress: {}\n', INGRESS));
    expect(run('infra:network-apply:rehearse').output).toContain('Plan: 9 to add');
    undo();
    const back = run('infra:network-apply:rehearse');
    expect(back.executed).toContain('infra:network-apply:rehearse');
    expect(back.output).toContain('Plan: 8 to add');
    expect(run('infra:network-apply:rehearse').executed).toEqual([]);
  });

  it('for an effect: a Greengrass component version changed, then changed back', () => {
    const undo = change('config/core.yaml', (text) => text.replace('aws.greengrass.Cli: 2.16.1', 'aws.greengrass.Cli: 2.15.0'));
    expect(run('infra:core-deploy:rehearse').output).toContain('aws.greengrass.Cli 2.15.0');
    undo();
    const back = run('infra:core-deploy:rehearse');
    expect(back.executed).toContain('infra:core-deploy:rehearse');
    expect(back.output).toContain('aws.greengrass.Cli 2.16.1');
    expect(run('infra:core-deploy:rehearse').executed).toEqual([]);
  });

  it('for the workflow step: a case added, then removed', () => {
    const undo = change('config/workflows.yaml', (text) => text.replace('cases:\n', ONE_MORE_CASE));
    expect(run('infra:workflow-launch:rehearse').executed).toContain('infra:workflow-launch:rehearse');
    undo();
    const back = run('infra:workflow-launch:rehearse');
    // The render is pure: its first entry comes back from the cache. The launch is not.
    expect(back.executed).toContain('infra:workflow-launch:rehearse');
    expect(run('infra:workflow-launch:rehearse').executed).toEqual([]);
  });
});

describe('lost records make every unit they stood for run again', () => {
  it("a unit's folder: that unit applies again, and the run after it is all cache hits", () => {
    rmSync(ws.path('.pushbutton/rehearse/network'), { recursive: true });
    expect(run('infra:provision:rehearse').executed).toContain('infra:network-apply:rehearse');
    expect(run('infra:provision:rehearse').executed).toEqual([]);
  });

  it.each([
    ['all of .pushbutton/', () => rmSync(ws.path('.pushbutton'), { recursive: true })],
    ['git clean -fdx, with the Nx cache kept', () => ws.gitCleanAndReinstall()],
    ['a second clone at the same path, sharing the cache folder', () => ws.recloneAtSamePath()],
  ])('%s: every apply and effect runs again', (_, lose) => {
    lose();
    expect(run('infra:provision:rehearse').executed).toEqual(expect.arrayContaining(EFFECTFUL));
    expect(run('infra:provision:rehearse').executed).toEqual([]);
  });

  it('destroy, then provision: every apply, effect and delivery runs again', () => {
    const destroyed = run('infra:destroy:rehearse');
    expect(destroyed.output).toContain('pushbutton-core-lab-gateway: no host; a live destroy would print how to uninstall it by hand.');
    // Afterwards the reports show nothing of the project.
    for (const report of ['infra:status:rehearse', 'infra:core-status:rehearse']) {
      const step = report.includes('core') ? 'core' : 'workflow';
      expect(run(report).output).toContain(`Nothing of project pushbutton-demo's ${step} step is provisioned in rehearse mode: it has not run, or it was destroyed.`);
    }
    expect(ws.nx(['run', 'infra:status:rehearse', '--json']).output).toMatch(/^\[\]$/m);
    expect(run('infra:provision:rehearse').executed).toEqual(expect.arrayContaining(EFFECTFUL));
  });
});
