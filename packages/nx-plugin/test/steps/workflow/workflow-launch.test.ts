import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DescribeInstancesCommand,
  DescribeInstancesCommandInput,
  EC2Client,
  Instance,
  InstanceStateName,
  RunInstancesCommand,
  RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '@pushbutton/stacks';
import type { WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectContext } from '../../../src/steps/kinds';
import { codeOf } from '../../../src/steps/kinds';
import type { WorkflowLaunchFacts } from '../../../src/steps/workflow/facts';
import workflowLaunch, { plannedCasesFile } from '../../../src/steps/workflow/workflow-launch';
import { paths } from '../../../src/paths';
import { userDataFile } from '../../../src/steps/workflow/workflow-render';
import { expandCases, WorkflowCase } from '../../../src/steps/workflow/cases';
import { launchSettings, MONITORING_DEFAULTS, workflowDefinition } from './fixtures';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const BUCKET = 'lab-results-20250301';
const TEMPLATE_ID = 'lt-0123456789abcdef0';

const definition = (name: string, instanceType: string) =>
  workflowDefinition(name, { instanceType, description: `${name} reads`, parameters: { quality_trimming: { qual: 2, window: 4 } } });

/** Two single cases of two workflows, and a study of three: five cases. */
function workflowSettings(maxConcurrent = 10, extraCases: WorkflowSettings['cases'] = []): WorkflowSettings {
  return {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ maxConcurrent, imageId: 'resolve:ssm:/aws/service/ami', rootVolumeGiB: 50 }),
    monitoring: MONITORING_DEFAULTS,
    workflows: { trim: definition('trim', 'm5.2xlarge'), assemble: definition('assemble', 'r5.4xlarge') },
    cases: [
      { workflow: 'trim', label: 'baseline', parameters: {} },
      { workflow: 'assemble', label: 'strict assembly', parameters: { quality_trimming: { qual: 30 } } },
      ...extraCases,
    ],
    studies: {
      sweep: {
        name: 'sweep',
        workflow: 'trim',
        parameters: { quality_trimming: { window: 8 } },
        matrix: { 'quality_trimming.qual': [5, 10, 20] },
        include: [],
        exclude: [],
      },
    },
  };
}

const settingsWith = (workflows: WorkflowSettings): Settings => ({
  project: { name: 'lab', region: REGION, tags: { Owner: 'lab-team' }, state: { backend: 'local' } },
  workflows,
});

const CASES = expandCases(workflowSettings());
const ids = (cases: WorkflowCase[]) => cases.map((c) => c.id);

const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ ec2, s3 });
let workspace: string;
let printed: string[];

function context(workflows = workflowSettings(), mode: EffectContext['mode'] = 'live'): EffectContext {
  return {
    settings: settingsWith(workflows),
    region: REGION,
    mode,
    workspaceRoot: workspace,
    print: (line) => printed.push(line),
    facts: {
      workflow: {
        bucket_name: BUCKET,
        bucket_arn: `arn:aws:s3:::${BUCKET}`,
        results_prefix: 'results',
        launch_template_id: TEMPLATE_ID,
        launch_template_name: 'lab-workflow-worker',
        worker_role_name: 'lab-workflow-worker',
        worker_role_arn: 'arn:aws:iam::123456789012:role/lab-workflow-worker',
        instance_profile_name: 'lab-workflow-worker',
        instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/lab-workflow-worker',
      },
    },
  };
}

const userDataOf = (caseId: string) => `#cloud-config\n# the worker of case ${caseId}\n`;

function renderUserData(cases: WorkflowCase[]): void {
  for (const c of cases) {
    const file = join(workspace, paths.renderDir('live', 'workflow'), userDataFile(c.id));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, userDataOf(c.id));
  }
}

// A small EC2: RunInstances is idempotent by client token, as EC2's is, and DescribeInstances
// applies the filters the effect sends. Tests change the instances' states to move time on.
let instances: Instance[];
let launches: number;

const tagged = (caseId: string, project = 'lab') => [
  { Key: 'Project', Value: project },
  { Key: 'pushbutton:case-id', Value: caseId },
];

/** A worker of attempt 1 of a case, as EC2 shows it; one launched before attempts were numbered has no attempt tag. */
function worker(caseId: string, state: InstanceStateName, InstanceId = `i-${caseId}`): Instance {
  return { InstanceId, ClientToken: `${caseId}-a1`, State: { Name: state }, Tags: tagged(caseId) };
}
const token = (caseId: string, attempt = 1) => `${caseId}-a${attempt}`;

function runInstances(input: RunInstancesCommandInput) {
  const earlier = instances.find((i) => i.ClientToken === input.ClientToken);
  if (earlier) return { Instances: [earlier] };
  launches += 1;
  const launched: Instance = {
    InstanceId: `i-${String(launches).padStart(4, '0')}`,
    ClientToken: input.ClientToken,
    State: { Name: 'pending' },
    Tags: input.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags,
  };
  instances.push(launched);
  return { Instances: [launched] };
}

function describeInstances(input: DescribeInstancesCommandInput) {
  const matches = (instance: Instance) =>
    (!input.InstanceIds || input.InstanceIds.includes(instance.InstanceId!)) &&
    (input.Filters ?? []).every(({ Name, Values = [] }) => {
      if (Name === 'instance-state-name') return Values.includes(instance.State!.Name!);
      if (Name === 'tag-key') return instance.Tags!.some((tag) => Values.includes(tag.Key!));
      const tagKey = Name!.replace(/^tag:/, '');
      return instance.Tags!.some((tag) => tag.Key === tagKey && Values.includes(tag.Value!));
    });
  return { Reservations: [{ Instances: instances.filter(matches) }] };
}

function markers(entries: [caseId: string, status: string][]): void {
  s3.on(ListObjectsV2Command).resolves({
    Contents: entries.flatMap(([caseId, status]) => [
      { Key: `results/${caseId}/outputs/data/trimmed.fq.gz` },
      { Key: `results/${caseId}/_pushbutton/${status}.json`, LastModified: new Date('2025-03-01T13:00:00Z') },
    ]),
  });
}

const runCalls = () => ec2.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
const tokens = () => runCalls().map((input) => input.ClientToken);
const factsOf = (result: { facts: unknown }) => result.facts as WorkflowLaunchFacts;
const setState = (state: InstanceStateName) => instances.forEach((i) => (i.State = { Name: state }));

beforeEach(() => {
  ec2.reset();
  s3.reset();
  printed = [];
  instances = [];
  launches = 0;
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-launch-'));
  renderUserData(CASES);
  ec2.on(RunInstancesCommand).callsFake(runInstances);
  ec2.on(DescribeInstancesCommand).callsFake(describeInstances);
  s3.on(ListObjectsV2Command).resolves({});
});
afterEach(() => {
  jest.useRealTimers();
  rmSync(workspace, { recursive: true, force: true });
});

describe('workflow-launch apply', () => {
  it('starts every case once, from the launch template, with its instance type, user-data, client token and tags', async () => {
    const result = await workflowLaunch.apply(context());

    expect(runCalls()).toHaveLength(5);
    for (const [i, c] of CASES.entries()) {
      const input = runCalls()[i];
      expect(input).toMatchObject({
        LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID, Version: '$Latest' },
        InstanceType: c.workflow === 'assemble' ? 'r5.4xlarge' : 'm5.2xlarge',
        MinCount: 1,
        MaxCount: 1,
        ClientToken: `${c.id}-a1`,
      });
      expect(Buffer.from(input.UserData!, 'base64').toString()).toBe(userDataOf(c.id));
      const expectedTags = {
        Owner: 'lab-team',
        Project: 'lab',
        ManagedBy: 'pushbutton',
        Name: `lab-${c.label}`,
        'pushbutton:case-id': c.id,
        'pushbutton:attempt': '1',
        'pushbutton:workflow': c.workflow,
        ...(c.study && { 'pushbutton:study': c.study }),
      };
      expect(input.TagSpecifications?.map((spec) => spec.ResourceType)).toEqual(['instance', 'volume']);
      for (const spec of input.TagSpecifications!) {
        expect(Object.fromEntries(spec.Tags!.map((tag) => [tag.Key, tag.Value]))).toEqual(expectedTags);
      }
    }
    expect(CASES.filter((c) => c.study)).toHaveLength(3);
    expect(result).toEqual({ facts: { engine: 'ec2', cases: 5, launched: ids(CASES), running: 5, finished: 0, waiting: 0 }, pending: [] });
    expect(printed).toContain(`Launched ${CASES[1].id} (strict assembly) as i-0002`);
  });

  it("looks at the project's workers only, in every state (an ended one without a result is a lost attempt)", async () => {
    await workflowLaunch.apply(context());

    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'tag:Project', Values: ['lab'] },
      { Name: 'tag-key', Values: ['pushbutton:case-id'] },
    ]);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'results/' });
  });

  it('starts none on a second run while the first run\'s workers are running', async () => {
    await workflowLaunch.apply(context());
    setState('running');

    const result = await workflowLaunch.apply(context());

    expect(runCalls()).toHaveLength(5);
    expect(result).toEqual({ facts: { engine: 'ec2', cases: 5, launched: [], running: 5, finished: 0, waiting: 0 }, pending: [] });
  });

  it('starts none on a second run once every case has a result and its worker is gone', async () => {
    await workflowLaunch.apply(context());
    setState('terminated');
    markers(CASES.map((c) => [c.id, 'succeeded']));

    const result = await workflowLaunch.apply(context());

    expect(runCalls()).toHaveLength(5);
    expect(factsOf(result)).toEqual({ engine: 'ec2', cases: 5, launched: [], running: 0, finished: 5, waiting: 0 });
  });

  it('does not launch a case with a succeeded, failed or timed-out marker of any attempt, and ignores keys that are not markers', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [
          { Key: `results/${CASES[1].id}/attempt-1/_pushbutton/succeeded.json` },
          { Key: `results/${CASES[0].id}/outputs/_pushbutton/succeeded.json` },
          { Key: `results/${CASES[4].id}/_pushbutton/started.json` },
        ],
        NextContinuationToken: 'page-2',
        IsTruncated: true,
      })
      .resolves({ Contents: [{ Key: `results/${CASES[2].id}/_pushbutton/failed.json` }, { Key: `results/${CASES[3].id}/_pushbutton/timed-out.json` }] });

    const result = await workflowLaunch.apply(context());

    expect(tokens()).toEqual([token(CASES[0].id), token(CASES[4].id)]);
    expect(factsOf(result)).toMatchObject({ launched: [CASES[0].id, CASES[4].id], finished: 3, waiting: 0 });
  });

  it('after a run that failed half-way, starts each missing case exactly once', async () => {
    const failing = (input: RunInstancesCommandInput) => {
      // EC2's InternalError (500), still failing once the SDK's retries are spent.
      if (ec2.commandCalls(RunInstancesCommand).length === 3) throw Object.assign(new Error('An internal error has occurred.'), { name: 'InternalError' });
      return runInstances(input);
    };
    ec2.on(RunInstancesCommand).callsFake(failing);

    await expect(workflowLaunch.apply(context())).rejects.toThrow('An internal error has occurred.');
    expect(instances.map((i) => i.ClientToken)).toEqual(ids(CASES.slice(0, 2)).map((id) => token(id)));

    setState('running');
    ec2.on(RunInstancesCommand).callsFake(runInstances);
    const result = await workflowLaunch.apply(context());

    const counts = new Map<string, number>();
    for (const token of tokens()) counts.set(token!, (counts.get(token!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(ids(CASES).map((id) => token(id)).sort());
    for (const c of CASES) expect(counts.get(token(c.id))).toBe(c.id === CASES[2].id ? 2 : 1);
    expect(instances).toHaveLength(5);
    expect(factsOf(result)).toEqual({ engine: 'ec2', cases: 5, launched: ids(CASES.slice(2)), running: 5, finished: 0, waiting: 0 });
  });

  it('gets the earlier launch back, not a second worker, when a crash came after EC2 launched but before it was seen', async () => {
    await workflowLaunch.apply(context());
    // EC2's eventual consistency: the new workers do not show in DescribeInstances yet.
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    await workflowLaunch.apply(context());

    expect(instances).toHaveLength(5);
    expect(new Set(tokens())).toEqual(new Set(ids(CASES).map((id) => token(id))));
  });

  it('launches only up to the concurrency cap and reports the rest as waiting, which a later run starts', async () => {
    instances.push(worker(CASES[0].id, 'running'));

    const first = await workflowLaunch.apply(context(workflowSettings(3)));

    expect(tokens()).toEqual(ids(CASES.slice(1, 3)).map((id) => token(id)));
    expect(first.pending).toEqual(['2 cases wait for capacity (maxConcurrent 3): the next provision starts them']);
    expect(factsOf(first)).toEqual({ engine: 'ec2', cases: 5, launched: ids(CASES.slice(1, 3)), running: 3, finished: 0, waiting: 2 });

    setState('running');
    const whileFull = await workflowLaunch.apply(context(workflowSettings(3)));
    expect(runCalls()).toHaveLength(2);
    expect(factsOf(whileFull)).toMatchObject({ launched: [], running: 3, waiting: 2 });

    setState('terminated');
    markers(CASES.slice(0, 3).map((c) => [c.id, 'succeeded']));
    const after = await workflowLaunch.apply(context(workflowSettings(3)));
    expect(tokens()).toEqual(ids(CASES.slice(1)).map((id) => token(id)));
    expect(after).toEqual({ facts: { engine: 'ec2', cases: 5, launched: ids(CASES.slice(3)), running: 2, finished: 3, waiting: 0 }, pending: [] });
  });

  it('counts live workers of cases no longer in config against the cap', async () => {
    instances.push(worker('c-000000000000', 'running'), worker('c-111111111111', 'pending'));

    const result = await workflowLaunch.apply(context(workflowSettings(3)));

    expect(tokens()).toEqual([token(CASES[0].id)]);
    expect(factsOf(result)).toMatchObject({ running: 1, waiting: 4 });
  });

  it('leaves a case whose attempt ended without a result to a retry, and says so', async () => {
    instances.push(worker(CASES[1].id, 'terminated', 'i-gone'));

    const result = await workflowLaunch.apply(context());

    expect(tokens()).toEqual(ids(CASES).filter((id) => id !== CASES[1].id).map((id) => token(id)));
    expect(result.pending).toEqual([]);
    expect(printed).toContain('1 case ended without a result (lost); run it again with npx nx run infra:retry --failed, and see why with npx nx run infra:status.');
  });

  it('reports, without failing, a launch EC2 answers with an instance terminated earlier (its client token taken)', async () => {
    // EC2 returns the instance an earlier launch with this client token started, though DescribeInstances does not show it yet.
    ec2.on(RunInstancesCommand, { ClientToken: token(CASES[1].id) }).resolves({ Instances: [{ InstanceId: 'i-gone', State: { Name: 'terminated' } }] });

    const result = await workflowLaunch.apply(context());

    expect(factsOf(result)).toMatchObject({ launched: ids(CASES).filter((id) => id !== CASES[1].id), running: 4 });
    expect(result.pending).toEqual([
      `case ${CASES[1].id} (strict assembly): this attempt's instance i-gone ended without a result. Start it again as a new attempt: npx nx run infra:retry --case ${CASES[1].id}`,
    ]);
  });

  it('reports, without failing, a case whose client token EC2 holds for other launch parameters', async () => {
    ec2.on(RunInstancesCommand, { ClientToken: token(CASES[0].id) }).rejects(
      Object.assign(new Error('Arguments on this idempotent request are inconsistent'), { name: 'IdempotentParameterMismatch' }),
    );

    const result = await workflowLaunch.apply(context());

    expect(factsOf(result).launched).toEqual(ids(CASES.slice(1)));
    expect(result.pending).toEqual([expect.stringContaining(`case ${CASES[0].id} (baseline)`)]);
  });

  it('fails before launching anything when a case has no rendered user-data, naming the file and workflow-render', async () => {
    rmSync(join(workspace, paths.renderDir('live', 'workflow'), userDataFile(CASES[3].id)));

    const run = workflowLaunch.apply(context());

    await expect(run).rejects.toThrow(join(paths.renderDir('live', 'workflow'), userDataFile(CASES[3].id)));
    await expect(run).rejects.toThrow('workflow-render');
    expect(runCalls()).toHaveLength(0);
  });

  it('prints a summary of launched, running, finished and waiting cases', async () => {
    instances.push(worker(CASES[0].id, 'running'));
    markers([[CASES[1].id, 'failed']]);

    await workflowLaunch.apply(context(workflowSettings(2)));

    expect(printed.at(-1)).toBe('5 cases on ec2: started now 1, queued or running 2, with results 1, waiting 2.');
  });
});

describe('workflow-launch rehearse', () => {
  const plannedRecord = () => JSON.parse(readFileSync(plannedCasesFile(workspace), 'utf8'));

  it('calls no AWS API, plans every case the first time and records them sorted', () => {
    const result = workflowLaunch.rehearse(context(workflowSettings(), 'rehearse'));

    expect(ec2.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    expect(result).toEqual({ facts: { engine: 'ec2', cases: 5, launched: ids(CASES), running: 0, finished: 0, waiting: 0 }, pending: [] });
    expect(plannedRecord()).toEqual(ids(CASES).sort());
    expect(plannedCasesFile(workspace)).toBe(join(workspace, '.pushbutton', 'rehearse', 'workflow-launch', 'planned-cases.json'));
    expect(printed[0]).toBe('Would start 5 cases now, one EC2 worker each (maxConcurrent 10):');
    expect(printed).toContain(`  ${CASES[1].id} (strict assembly)`);
  });

  it('plans exactly the one case added to config since the last rehearsal', () => {
    workflowLaunch.rehearse(context(workflowSettings(), 'rehearse'));
    printed = [];
    const added = workflowSettings(10, [{ workflow: 'trim', label: 'lenient', parameters: { quality_trimming: { qual: 1 } } }]);
    const newCase = expandCases(added).find((c) => c.label === 'lenient')!;

    const result = workflowLaunch.rehearse(context(added, 'rehearse'));

    expect(factsOf(result)).toEqual({ engine: 'ec2', cases: 6, launched: [newCase.id], running: 0, finished: 0, waiting: 0 });
    expect(printed).toContain('Would start 1 cases now, one EC2 worker each (maxConcurrent 10):');
    expect(printed).toContain('5 cases were already planned by an earlier rehearsal:');
    expect(plannedRecord()).toEqual([...ids(CASES), newCase.id].sort());
    expect(ec2.calls()).toHaveLength(0);
  });

  it('plans up to the cap now and the rest as waiting, listing at most 20 cases', () => {
    const big = workflowSettings(3);
    big.studies.sweep.matrix['quality_trimming.qual'] = Array.from({ length: 30 }, (_, i) => i + 3);

    const result = workflowLaunch.rehearse(context(big, 'rehearse'));

    expect(factsOf(result)).toMatchObject({ cases: 32, running: 0, finished: 0, waiting: 29 });
    expect(factsOf(result).launched).toHaveLength(3);
    expect(printed).toContain('29 cases would wait for capacity: the next provision would start them.');
    expect(printed).toContain('  and 9 more');
    expect(plannedRecord()).toHaveLength(32);
  });
});

describe('workflow-launch destroy', () => {
  it('terminates the live workers and waits until EC2 reports them terminated', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
    instances.push(worker(CASES[0].id, 'running', 'i-a'), worker(CASES[1].id, 'stopped', 'i-b'), worker('c-000000000000', 'pending', 'i-c'));
    ec2.on(TerminateInstancesCommand).callsFake(() => setState('shutting-down'));
    // The waiter's first look finds them shutting down; they are terminated by its second.
    let looks = 0;
    ec2.on(DescribeInstancesCommand, { InstanceIds: ['i-a', 'i-b', 'i-c'] }).callsFake((input) => {
      if (++looks === 2) setState('terminated');
      return describeInstances(input);
    });
    let done = false;

    const destroying = workflowLaunch.destroy(context()).then(() => (done = true));
    for (let waited = 0; !done && waited < 900; waited += 5) await jest.advanceTimersByTimeAsync(5_000);
    await destroying;

    expect(ec2).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-a', 'i-b', 'i-c'] });
    expect(looks).toBe(2);
    expect(printed).toEqual(['Terminating 3 workers: i-a, i-b, i-c.', 'Terminated 3 workers.']);
  });

  it('terminates in batches of at most 1000', async () => {
    for (let i = 0; i < 1001; i++) instances.push(worker(`c-${String(i).padStart(12, '0')}`, 'running', `i-${i}`));
    ec2.on(TerminateInstancesCommand).callsFake(() => setState('terminated'));

    await workflowLaunch.destroy(context());

    expect(ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds!.length)).toEqual([1000, 1]);
    expect(printed[0]).toMatch(/^Terminating 1001 workers: i-0, .*, i-19, and 981 more\.$/);
  });

  it('does nothing, and never touches the bucket, when no worker is left', async () => {
    instances.push(worker(CASES[0].id, 'terminated'), { ...worker(CASES[1].id, 'running'), Tags: tagged(CASES[1].id, 'other-project') });

    await workflowLaunch.destroy(context());

    expect(ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(s3.calls()).toHaveLength(0);
    expect(printed).toEqual(['No EC2 workers of project lab are left: nothing to terminate.']);
  });
});

it('is registered as the workflow-launch effect', () => {
  expect(codeOf('effect')['workflow-launch']).toBe(workflowLaunch);
});
